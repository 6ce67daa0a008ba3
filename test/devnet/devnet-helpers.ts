/**
 * A bare-bones application for the devnet tests: createTask, the signed relay calls and
 * event waits, written directly against the spec (SPEC §2) so these tests do not depend
 * on the library's client.
 */
import { keccak256 } from 'ethers';
import {
  TASK_EVENT_TOPICS, ZERO_DATA_HASH, decodeTaskLog, signRelayFields, taskHash, taskIdFromReceipt, taskInterface,
  type RelayFields, type TaskEvent,
} from '../../lib/protocol';
import { getLogs, rpc } from '../../devnet/relay/rpc';
import { TxSender } from '../../devnet/workers/tx';

export interface HttpAnswer {
  status: number;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
  bytes: Buffer;
}

export async function http(url: string, init?: RequestInit): Promise<HttpAnswer> {
  const res = await fetch(url, init);
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers, bytes };
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The 400 envelope of SPEC §4.1. */
export function validation(field: string, message: string) {
  return { message: 'validation_error', data: { field_name: field, message } };
}

export class TestApp {
  readonly tx: TxSender;
  readonly address: string;

  constructor(
    readonly rpcUrl: string,
    readonly relayUrl: string,
    readonly taskAddress: string,
    readonly key: string,
  ) {
    this.tx = new TxSender(rpcUrl, key);
    this.address = this.tx.address;
  }

  /** createTask(taskType, keccak256(args), 0, vramLimit, cap) with `fee` wei; returns the task id. */
  async createTask(taskType: number, args: string, opts: { cap?: number; vramLimit?: number; fee?: bigint } = {}): Promise<bigint> {
    const data = taskInterface.encodeFunctionData('createTask', [taskType, taskHash(args), ZERO_DATA_HASH, opts.vramLimit ?? 8, opts.cap ?? 1]);
    const receipt = await this.tx.send(this.taskAddress, data, 'createTask', opts.fee ?? 10n ** 16n);
    return taskIdFromReceipt({ logs: receipt.logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data })) }, this.taskAddress);
  }

  async cancelTask(taskId: bigint): Promise<void> {
    await this.tx.send(this.taskAddress, taskInterface.encodeFunctionData('cancelTask', [taskId]), 'cancelTask');
  }

  /** A: POST /v1/inference_tasks (task_id and timestamp as bare JSON numbers). */
  uploadArgs(taskId: bigint, args: string, o: { key?: string; timestamp?: number; signature?: string } = {}): Promise<HttpAnswer> {
    const ts = o.timestamp ?? nowSeconds();
    const signature = o.signature ?? signRelayFields(o.key ?? this.key, { task_args: args, task_id: taskId }, ts).signature;
    const body = `{"task_args":${JSON.stringify(args)},"task_id":${taskId},"timestamp":${ts},"signature":${JSON.stringify(signature)}}`;
    return http(`${this.relayUrl}/v1/inference_tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  }

  /** B or D, signed with `key` (default the app's). */
  signedGet(path: string, fields: RelayFields, o: { key?: string; timestamp?: number; signature?: string } = {}): Promise<HttpAnswer> {
    const ts = o.timestamp ?? nowSeconds();
    const signature = o.signature ?? signRelayFields(o.key ?? this.key, fields, ts).signature;
    return http(`${this.relayUrl}${path}?timestamp=${ts}&signature=${signature}`);
  }

  getTask(taskId: bigint, o: { key?: string } = {}): Promise<HttpAnswer> {
    return this.signedGet(`/v1/inference_tasks/${taskId}`, { task_id: taskId }, o);
  }

  download(taskId: bigint, imageNum: string, o: { key?: string } = {}): Promise<HttpAnswer> {
    return this.signedGet(`/v1/inference_tasks/${taskId}/results/${imageNum}`, { image_num: imageNum, task_id: taskId }, o);
  }

  /** All Task events of one task so far. */
  async events(taskId: bigint): Promise<TaskEvent[]> {
    const latest = Number(BigInt(await rpc<string>(this.rpcUrl, 'eth_blockNumber')));
    const logs = await getLogs(this.rpcUrl, { address: this.taskAddress }, 0, latest);
    return logs
      .map((l) => decodeTaskLog({ address: l.address, topics: l.topics, data: l.data }, this.taskAddress))
      .filter((e): e is TaskEvent => e !== null && e.taskId === taskId);
  }

  /** Polls until `pick` finds something among the task's events. */
  async waitForEvent<T>(taskId: bigint, pick: (events: TaskEvent[]) => T | undefined, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = pick(await this.events(taskId));
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`task ${taskId}: expected event not seen within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The first terminal event (SPEC §3.8). */
  firstTerminal(taskId: bigint, timeoutMs?: number) {
    return this.waitForEvent(taskId, (es) => es.find((e) => e.name === 'TaskSuccess' || e.name === 'TaskAborted'), timeoutMs);
  }

  /** Uploads the args once the relay has indexed the task (retrying "Task not found on the Blockchain"). */
  async uploadArgsWhenIndexed(taskId: bigint, args: string): Promise<HttpAnswer> {
    for (let i = 0; ; i++) {
      const a = await this.uploadArgs(taskId, args);
      if (a.json?.data?.message !== 'Task not found on the Blockchain' || i > 200) return a;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export { TASK_EVENT_TOPICS, keccak256 };
