/**
 * The straightforward application, written directly against the spec (SPEC §2) without the
 * library's client: createTask, the signed relay calls, and event polling. The devnet tests
 * use it so they do not depend on the client; the benchmarks use it to set up load and as the
 * labelled baselines they compare our client with.
 */
import { Wallet, zeroPadValue, toBeHex } from 'ethers';
import {
  DEFAULT_GAS_LIMIT, decodeTaskLog, signRelayFields, TASK_EVENT_TOPICS, taskHash, taskIdFromReceipt, taskInterface,
  ZERO_DATA_HASH, type RelayFields, type TaskEvent,
} from '../lib/protocol';
import { getLogs, rpc } from './relay/rpc';
import { TxSender } from './workers/tx';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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

/** Per-request overrides, to send what a broken client would (tests of the relay's checks). */
export interface SignOverrides {
  key?: string;
  timestamp?: number;
  signature?: string;
}

export class RawApp {
  readonly tx: TxSender;
  readonly address: string;

  constructor(
    readonly rpcUrl: string,
    readonly relayUrl: string,
    readonly taskAddress: string,
    readonly key: string,
    /** Read events by the indexed taskId topic: cheap, but misses TaskPending/TaskStarted (SPEC §3.3). */
    private readonly opts: { indexedEventsOnly?: boolean } = {},
  ) {
    this.tx = new TxSender(rpcUrl, key);
    this.address = this.tx.address;
  }

  /** createTask(taskType, keccak256(args), 0, vramLimit, cap) with `fee` wei; one at a time; returns the id. */
  async createTask(taskType: number, args: string, opts: { cap?: number; vramLimit?: number; fee?: bigint } = {}): Promise<bigint> {
    const data = taskInterface.encodeFunctionData('createTask', [taskType, taskHash(args), ZERO_DATA_HASH, opts.vramLimit ?? 8, opts.cap ?? 1]);
    const receipt = await this.tx.send(this.taskAddress, data, 'createTask', opts.fee ?? 10n ** 16n);
    return taskIdFromReceipt({ logs: receipt.logs.map((l) => ({ address: l.address, topics: l.topics, data: l.data })) }, this.taskAddress);
  }

  /**
   * `n` createTask transactions signed up front with consecutive nonces and sent back to back
   * (setup of load, not a measured path). Returns the new task ids from the TaskPending logs.
   */
  async createMany(n: number, fee: bigint): Promise<bigint[]> {
    const wallet = new Wallet(this.key);
    const chainId = BigInt(await rpc<string>(this.rpcUrl, 'eth_chainId'));
    const gasPrice = BigInt(await rpc<string>(this.rpcUrl, 'eth_gasPrice'));
    let nonce = Number(BigInt(await rpc<string>(this.rpcUrl, 'eth_getTransactionCount', [this.address, 'pending'])));
    const from = Number(BigInt(await rpc<string>(this.rpcUrl, 'eth_blockNumber'))) + 1;
    const raws: string[] = [];
    for (let i = 0; i < n; i++) {
      const hash = zeroPadValue(toBeHex(BigInt(from) * 1_000_000n + BigInt(i) + 1n), 32);
      const data = taskInterface.encodeFunctionData('createTask', [1, hash, ZERO_DATA_HASH, 8, 1]);
      raws.push(await wallet.signTransaction({
        type: 0, chainId, nonce: nonce++, gasPrice, gasLimit: DEFAULT_GAS_LIMIT, to: this.taskAddress, data, value: fee,
      }));
    }
    // JSON-RPC batches: far fewer round trips; anvil handles a batch in order, so nonces stay in sequence.
    for (let i = 0; i < raws.length; i += 100) {
      const batch = raws.slice(i, i + 100).map((raw, k) => ({ jsonrpc: '2.0', id: i + k, method: 'eth_sendRawTransaction', params: [raw] }));
      const res = await fetch(this.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
      const answers = (await res.json()) as Array<{ error?: { message?: string } }>;
      const failed = answers.find((a) => a.error);
      if (failed) throw new Error(`createMany: eth_sendRawTransaction failed: ${failed.error?.message}`);
    }
    const creatorTopic = zeroPadValue(this.address, 32);
    for (let attempt = 0; ; attempt++) {
      const head = Number(BigInt(await rpc<string>(this.rpcUrl, 'eth_blockNumber')));
      const logs = await getLogs(this.rpcUrl, { address: this.taskAddress, topics: [TASK_EVENT_TOPICS.TaskPending, creatorTopic] }, from, head);
      const ids = logs
        .map((l) => decodeTaskLog({ address: l.address, topics: l.topics, data: l.data }, this.taskAddress))
        .filter((e): e is TaskEvent => e !== null)
        .map((e) => e.taskId);
      if (ids.length >= n) return ids;
      if (attempt > 100) throw new Error(`createMany: only ${ids.length} of ${n} tasks appeared on chain`);
      await sleep(50);
    }
  }

  async cancelTask(taskId: bigint): Promise<void> {
    await this.tx.send(this.taskAddress, taskInterface.encodeFunctionData('cancelTask', [taskId]), 'cancelTask');
  }

  /** A: POST /v1/inference_tasks (task_id and timestamp as bare JSON numbers, SPEC §5.4). */
  uploadArgs(taskId: bigint, args: string, o: SignOverrides = {}): Promise<HttpAnswer> {
    const ts = o.timestamp ?? nowSeconds();
    const signature = o.signature ?? signRelayFields(o.key ?? this.key, { task_args: args, task_id: taskId }, ts).signature;
    const body = `{"task_args":${JSON.stringify(args)},"task_id":${taskId},"timestamp":${ts},"signature":${JSON.stringify(signature)}}`;
    return http(`${this.relayUrl}/v1/inference_tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  }

  /** Uploads once the relay has indexed the task (retrying "Task not found on the Blockchain"). */
  async uploadArgsWhenIndexed(taskId: bigint, args: string): Promise<HttpAnswer> {
    for (let i = 0; ; i++) {
      const a = await this.uploadArgs(taskId, args);
      if (a.json?.data?.message !== 'Task not found on the Blockchain' || i > 400) return a;
      await sleep(50);
    }
  }

  /** B or D, signed with `key` (default the app's). */
  signedGet(path: string, fields: RelayFields, o: SignOverrides = {}): Promise<HttpAnswer> {
    const ts = o.timestamp ?? nowSeconds();
    const signature = o.signature ?? signRelayFields(o.key ?? this.key, fields, ts).signature;
    return http(`${this.relayUrl}${path}?timestamp=${ts}&signature=${signature}`);
  }

  /** B: the relay's view of the task. */
  getTask(taskId: bigint, o: SignOverrides = {}): Promise<HttpAnswer> {
    return this.signedGet(`/v1/inference_tasks/${taskId}`, { task_id: taskId }, o);
  }

  /** D: one result file; `imageNum` is sent verbatim (SPEC §8 trap 16). */
  download(taskId: bigint, imageNum: number | string, o: SignOverrides = {}): Promise<HttpAnswer> {
    const n = String(imageNum);
    return this.signedGet(`/v1/inference_tasks/${taskId}/results/${n}`, { image_num: n, task_id: taskId }, o);
  }

  /** All Task events of one task so far. */
  async events(taskId: bigint): Promise<TaskEvent[]> {
    const latest = Number(BigInt(await rpc<string>(this.rpcUrl, 'eth_blockNumber')));
    const idTopic = zeroPadValue(toBeHex(taskId), 32);
    const logs = this.opts.indexedEventsOnly
      ? await getLogs(this.rpcUrl, { address: this.taskAddress, topics: [null, idTopic] }, 0, latest, 100_000)
      : await getLogs(this.rpcUrl, { address: this.taskAddress }, 0, latest);
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
      await sleep(100);
    }
  }

  /** The first terminal event (SPEC §3.8). */
  firstTerminal(taskId: bigint, timeoutMs?: number): Promise<TaskEvent> {
    return this.waitForEvent(taskId, (es) => es.find((e) => e.name === 'TaskSuccess' || e.name === 'TaskAborted'), timeoutMs);
  }
}
