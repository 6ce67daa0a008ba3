/**
 * The stand-in relay's database: one record per task, driven by chain events and the
 * signed endpoints through the status machine of SPEC §4.4, plus the result files.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { OutValue } from './json';

/** SPEC §4.4. */
export const RelayStatus = { Pending: 0, ArgsUploaded: 1, Aborted: 2, Success: 3, ResultsUploaded: 4 } as const;
export type RelayStatusValue = (typeof RelayStatus)[keyof typeof RelayStatus];

export interface RelayNode {
  dbId: number;
  createdAt: string;
  updatedAt: string;
  address: string;
  round: bigint;
  result: string;
  isResultSelected: boolean;
}

export interface RelayTask {
  dbId: number;
  createdAt: string;
  updatedAt: string;
  taskId: bigint;
  taskArgs: string;
  creator: string;
  taskHash: string;
  dataHash: string;
  status: RelayStatusValue;
  taskType: number;
  vramLimit: bigint;
  nodes: RelayNode[];
  /** TaskSuccess.result as 0x lowercase hex, and its result node. */
  result?: string;
  resultNode?: string;
  abortReason?: string;
  /** Stored file names ("0", "1", …) once results are uploaded. */
  files: string[];
}

export interface FileStore {
  put(taskId: bigint, name: string, bytes: Uint8Array): Promise<void>;
  get(taskId: bigint, name: string): Promise<Buffer>;
}

export function memoryFileStore(): FileStore {
  const files = new Map<string, Buffer>();
  return {
    async put(taskId, name, bytes) {
      files.set(`${taskId}/${name}`, Buffer.from(bytes));
    },
    async get(taskId, name) {
      const f = files.get(`${taskId}/${name}`);
      if (!f) throw new Error(`no file ${taskId}/${name}`);
      return f;
    },
  };
}

/** Files under `dir/<taskId>/<name>`; names are only ever the relay's own ("0.png", …). */
export function dirFileStore(dir: string): FileStore {
  return {
    async put(taskId, name, bytes) {
      const d = path.join(dir, taskId.toString());
      await fs.promises.mkdir(d, { recursive: true });
      await fs.promises.writeFile(path.join(d, name), bytes);
    },
    async get(taskId, name) {
      return fs.promises.readFile(path.join(dir, taskId.toString(), name));
    },
  };
}

/** Go's time.Time JSON form (RFC 3339). */
function stamp(nowSeconds: number): string {
  return new Date(nowSeconds * 1000).toISOString();
}

export class TaskStore {
  private readonly tasks = new Map<string, RelayTask>();
  private nextTaskDbId = 1;
  private nextNodeDbId = 1;

  constructor(private readonly now: () => number) {}

  get(taskId: bigint): RelayTask | undefined {
    return this.tasks.get(taskId.toString());
  }

  all(): RelayTask[] {
    return [...this.tasks.values()];
  }

  private touch(t: RelayTask): void {
    t.updatedAt = stamp(this.now());
  }

  /** TaskPending indexed → status 0. */
  onPending(e: { taskId: bigint; taskType: number; creator: string; taskHash: string; dataHash: string; vramLimit: bigint }): void {
    if (this.get(e.taskId)) return;
    const at = stamp(this.now());
    this.tasks.set(e.taskId.toString(), {
      dbId: this.nextTaskDbId++, createdAt: at, updatedAt: at, taskId: e.taskId, taskArgs: '', creator: e.creator,
      taskHash: e.taskHash.toLowerCase(), dataHash: e.dataHash.toLowerCase(), status: RelayStatus.Pending,
      taskType: e.taskType, vramLimit: e.vramLimit, nodes: [], files: [],
    });
  }

  onStarted(taskId: bigint, node: string, round: bigint): void {
    const t = this.get(taskId);
    if (!t || t.nodes.some((n) => n.round === round)) return;
    const at = stamp(this.now());
    t.nodes.push({ dbId: this.nextNodeDbId++, createdAt: at, updatedAt: at, address: node, round, result: '', isResultSelected: false });
    t.nodes.sort((a, b) => (a.round < b.round ? -1 : 1));
    this.touch(t);
  }

  /** TaskSuccess indexed → status 3, only from status 1 (SPEC §4.4). */
  onSuccess(taskId: bigint, result: string, resultNode: string): void {
    const t = this.get(taskId);
    if (!t || t.result !== undefined) return;
    t.result = result.toLowerCase();
    t.resultNode = resultNode;
    for (const n of t.nodes) {
      if (n.address.toLowerCase() === resultNode.toLowerCase()) {
        n.isResultSelected = true;
        n.result = t.result;
      }
    }
    if (t.status === RelayStatus.ArgsUploaded) t.status = RelayStatus.Success;
    this.touch(t);
  }

  /** TaskAborted indexed → status 2, unless results are already uploaded. */
  onAborted(taskId: bigint, reason: string): void {
    const t = this.get(taskId);
    if (!t || t.status === RelayStatus.ResultsUploaded) return;
    t.status = RelayStatus.Aborted;
    t.abortReason ??= reason;
    this.touch(t);
  }

  setArgs(t: RelayTask, args: string): void {
    t.taskArgs = args;
    t.status = RelayStatus.ArgsUploaded;
    this.touch(t);
  }

  setUploaded(t: RelayTask, files: string[]): void {
    t.files = files;
    t.status = RelayStatus.ResultsUploaded;
    this.touch(t);
  }
}

/** The task object in the relay's key order (SPEC §4.1); `withNodes` false gives `SelectedNodes: null`. */
export function taskObject(t: RelayTask, withNodes: boolean): OutValue {
  return {
    ID: t.dbId,
    CreatedAt: t.createdAt,
    UpdatedAt: t.updatedAt,
    DeletedAt: null,
    task_args: t.taskArgs,
    task_id: t.taskId,
    creator: t.creator,
    task_hash: t.taskHash,
    data_hash: t.dataHash,
    status: t.status,
    task_type: t.taskType,
    vram_limit: t.vramLimit,
    SelectedNodes: withNodes
      ? t.nodes.map((n) => ({
          ID: n.dbId,
          CreatedAt: n.createdAt,
          UpdatedAt: n.updatedAt,
          DeletedAt: null,
          InferenceTaskID: t.dbId,
          NodeAddress: n.address,
          Result: n.result,
          IsResultSelected: n.isResultSelected,
        }))
      : null,
  };
}
