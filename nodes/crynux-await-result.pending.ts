/**
 * crynux-await-result's crash safety (ARCHITECTURE "Crash safety"): every accepted msg is
 * kept in the node's context, under a key of its own, from the moment the node accepts it
 * until its outcome has been sent. A node that starts (restart, redeploy) takes over the
 * entries its predecessor left and resumes them.
 *
 * Node-RED deletes a node's context when the node stops unless settings.js configures a
 * context store, so entries are also handed over in memory from the closing instance to
 * the next one with the same id: a redeploy resumes even without a configured store, a
 * restart needs a persistent one (e.g. `localfilesystem`).
 *
 * One key per msg (not one shared object) so concurrent msgs never race on a
 * read-modify-write of the same value.
 */
import { randomBytes } from 'node:crypto';
import type { NodeContextStore, NodeMessage } from './shared';

export interface PendingEntry {
  taskId: string;
  txHash?: string;
  blockNumber?: number;
  /** Epoch ms at which waiting times out (kept across restarts). */
  deadline: number;
  /** JSON-safe copy of the msg as it was accepted (see snapshotMsg). */
  msg: Record<string, unknown>;
  /** Genesis block hash of the chain the task is on, once known (see CrynuxClient.chain). */
  genesisHash?: string;
}

export interface KeyedEntry {
  key: string;
  entry: PendingEntry;
}

/** Node-RED's context also lists keys; our shared type describes only get/set. */
type KeyedContext = NodeContextStore & {
  keys(store: string | undefined, cb: (err: Error | null | undefined, keys?: string[]) => void): void;
};

const PREFIX = 'pendingTask_';

/** Entries of closed (not removed) nodes, by node id, until the next instance takes them. */
export const handover = new Map<string, KeyedEntry[]>();

export class PendingTasks {
  private readonly ctx: KeyedContext;
  private readonly live = new Map<string, PendingEntry>();

  /**
   * `store`: a context store name from settings.js; undefined = the runtime's default store.
   * A failing store is reported to `onStoreError` and never fails the msg: waiting for a paid
   * task goes on, only without the restart guarantee.
   */
  constructor(
    private readonly nodeId: string,
    context: NodeContextStore,
    private readonly store: string | undefined,
    private readonly onStoreError: (err: Error) => void,
  ) {
    this.ctx = context as KeyedContext;
  }

  /** Keeps the entry; resolves with its key once the store has it (or has failed). */
  async add(entry: PendingEntry): Promise<string> {
    const key = `${PREFIX}${entry.taskId}_${randomBytes(6).toString('hex')}`;
    this.live.set(key, entry);
    await this.set(key, entry);
    return key;
  }

  /** Records which chain the msg's task is on (once, when the client first tells). */
  async setGenesis(key: string, genesisHash: string): Promise<void> {
    const entry = this.live.get(key);
    if (!entry || entry.genesisHash === genesisHash) return;
    entry.genesisHash = genesisHash;
    await this.set(key, entry);
  }

  remove(key: string): Promise<void> {
    this.live.delete(key);
    return this.set(key, undefined);
  }

  /** On close (not removal): leave the undelivered entries to the next instance. */
  handOver(): void {
    if (this.live.size) handover.set(this.nodeId, [...this.live].map(([key, entry]) => ({ key, entry })));
  }

  /** Entries left by an earlier instance (in memory and in the context store), each once. Never rejects. */
  async takeOver(): Promise<KeyedEntry[]> {
    const handed = handover.get(this.nodeId) ?? [];
    handover.delete(this.nodeId);
    const stored = await this.stored().catch((err: Error) => (this.onStoreError(err), [] as KeyedEntry[]));
    // `live` holds only msgs this instance accepted meanwhile: those are not resumed.
    const byKey = new Map<string, KeyedEntry>();
    for (const e of [...handed, ...stored]) if (!this.live.has(e.key)) byKey.set(e.key, e);
    for (const { key, entry } of byKey.values()) this.live.set(key, entry);
    return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  private async stored(): Promise<KeyedEntry[]> {
    const keys = await new Promise<string[]>((resolve, reject) => {
      this.ctx.keys(this.store, (err, k) => (err ? reject(err) : resolve(k ?? [])));
    });
    const out: KeyedEntry[] = [];
    for (const key of keys.filter((k) => k.startsWith(PREFIX))) {
      const value = await new Promise<unknown>((resolve, reject) => {
        this.ctx.get(key, this.store, (err, v) => (err ? reject(err) : resolve(v)));
      });
      if (isEntry(value)) out.push({ key, entry: value });
    }
    return out;
  }

  private set(key: string, value: unknown): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.ctx.set(key, value, this.store, (err) => (err ? reject(err) : resolve()));
    }).catch((err: Error) => this.onStoreError(err));
  }
}

function isEntry(v: unknown): v is PendingEntry {
  const e = v as PendingEntry | undefined;
  return (
    !!e &&
    typeof e === 'object' &&
    typeof e.taskId === 'string' &&
    typeof e.deadline === 'number' &&
    !!e.msg &&
    typeof e.msg === 'object'
  );
}

