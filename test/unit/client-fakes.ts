/**
 * A scripted chain for unit tests of the block watcher and the log source: it answers
 * eth_blockNumber and eth_getLogs from an in-memory list of Task logs and records every
 * call. Used only where a real node cannot produce the situation on demand (reorg-free
 * exact block control, refusals, call counting without timing).
 */
import { taskInterface } from '../../lib/protocol';
import { RpcAnswerError } from '../../lib/chain/rpc';
import type { RpcLike } from '../../lib/chain/logs';

export const TASK = '0x00000000000000000000000000000000000000aa';
export const NODE = '0x00000000000000000000000000000000000000bb';

interface FakeLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: number;
  transactionHash: string;
  logIndex: number;
}

const hex = (n: number) => `0x${n.toString(16)}`;

export class FakeChain implements RpcLike {
  head = 10;
  readonly logs: FakeLog[] = [];
  readonly calls: Array<{ method: string; params: unknown[] }> = [];
  /** Answer for a method instead of the default (throw to refuse). */
  readonly overrides = new Map<string, (params: unknown[]) => unknown>();
  /** eth_getLogs spans above this are refused as too large. */
  maxRange = Infinity;

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  /** Adds a Task event log in `block`. */
  event(block: number, name: 'TaskSuccess' | 'TaskAborted' | 'TaskResultUploaded' | 'TaskPending', args: unknown[]): void {
    const { data, topics } = taskInterface.encodeEventLog(name, args);
    this.logs.push({
      address: TASK, topics, data, blockNumber: block,
      transactionHash: `0x${(this.logs.length + 1).toString(16).padStart(64, '0')}`, logIndex: this.logs.length,
    });
  }

  success(block: number, id: bigint, result = '0x0102030405060708'): void {
    this.event(block, 'TaskSuccess', [id, result, NODE]);
  }

  aborted(block: number, id: bigint, reason: string): void {
    this.event(block, 'TaskAborted', [id, reason]);
  }

  uploaded(block: number, id: bigint): void {
    this.event(block, 'TaskResultUploaded', [id]);
  }

  async request<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    this.calls.push({ method, params });
    const o = this.overrides.get(method);
    if (o) return o(params) as T;
    if (method === 'eth_blockNumber') return hex(this.head) as T;
    if (method === 'eth_getLogs') {
      const f = params[0] as { fromBlock: string; toBlock: string; topics: string[][]; address: string };
      const from = Number(f.fromBlock);
      const to = Number(f.toBlock);
      if (to - from + 1 > this.maxRange) throw new RpcAnswerError(method, { code: -32005, message: 'block range is too large' });
      return this.logs
        .filter((l) => l.blockNumber >= from && l.blockNumber <= to && f.topics[0].includes(l.topics[0]))
        .map((l) => ({ ...l, blockNumber: hex(l.blockNumber), logIndex: hex(l.logIndex) })) as T;
    }
    throw new RpcAnswerError(method, { code: -32601, message: `the method ${method} does not exist/is not available` });
  }
}

/** Resolves after pending promise callbacks and zero-delay timers have run (real timers). */
export function settle(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
