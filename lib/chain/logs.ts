/**
 * Fetches the Task contract's logs for a block range, one request per range whatever the
 * number of tasks watched (topic0 OR-filter, SPEC §3.10). Ranges are kept ≤ maxLogRange and
 * halved when the RPC answers "range too large"; an RPC that refuses eth_getLogs outright
 * is read block by block from receipts instead (SPEC §8 item 30).
 */
import type { Logger } from '../client-types';
import type { LogLike } from '../protocol';
import { RpcAnswerError } from './rpc';

export interface RpcLike {
  request<T = unknown>(method: string, params?: unknown[]): Promise<T>;
}

export type LogMode = 'logs' | 'blocks';

/** A log as JSON-RPC returns it (hex quantities). */
export interface RawLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  transactionHash: string;
  logIndex: string;
  removed?: boolean;
}

const RATE_LIMITED = /rate.?limit|too many requests|over capacity|try again later/i;
const RANGE_ERROR =
  /block range|range (is )?too (large|wide|big)|exceed\w* .*(range|results|limit)|more than \d+ (results|blocks|logs)|too many (results|logs|blocks)|response size|max(imum)? .*(range|results|blocks)|query timeout/i;
const REFUSED = /method not found|not (supported|available|allowed|enabled)|does not exist|unsupported|disabled|forbidden|unauthori[sz]ed|whitelist|not permitted/i;

/** An RPC answer asking us to slow down (retried on the next poll, nothing else changes). */
export function isRateLimited(err: unknown): boolean {
  return err instanceof RpcAnswerError && (err.rpcCode === 429 || RATE_LIMITED.test(err.rpcMessage));
}

/** An RPC answer saying the range is too large for one eth_getLogs. */
export function isRangeError(err: unknown): boolean {
  return err instanceof RpcAnswerError && !isRateLimited(err) && (err.rpcCode === -32005 || RANGE_ERROR.test(err.rpcMessage));
}

/** An RPC answer saying the method is not offered at all. */
export function isMethodRefused(err: unknown): boolean {
  return err instanceof RpcAnswerError && !isRateLimited(err) && (err.rpcCode === -32601 || REFUSED.test(err.rpcMessage));
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** A JSON-RPC log with its quantities as numbers, as the event decoders take it. */
export function toLog(l: RawLog): LogLike {
  return {
    address: l.address,
    topics: l.topics,
    data: l.data,
    blockNumber: Number(l.blockNumber),
    transactionHash: l.transactionHash,
    logIndex: Number(l.logIndex),
  };
}

export class TaskLogSource {
  mode: LogMode = 'logs';
  /** Current largest range; shrinks when the RPC refuses a range. */
  range: number;
  private blockReceipts = true;
  private unexplained = 0;

  constructor(
    private readonly rpc: RpcLike,
    private readonly taskAddress: string,
    private readonly topics: readonly string[],
    maxLogRange: number,
    private readonly logger?: Logger,
  ) {
    this.range = Math.max(1, Math.floor(maxLogRange));
  }

  /** Logs of [from, to] (inclusive), in chain order. */
  async fetch(from: number, to: number): Promise<LogLike[]> {
    if (to < from) return [];
    if (this.mode === 'blocks') return this.fromBlocks(from, to);
    const out: LogLike[] = [];
    for (let a = from; a <= to; ) {
      const b = Math.min(to, a + this.range - 1);
      out.push(...(await this.getLogs(a, b)));
      a = b + 1;
    }
    return out;
  }

  private async getLogs(a: number, b: number): Promise<LogLike[]> {
    if (this.mode === 'blocks') return this.fromBlocks(a, b);
    try {
      const raw = await this.rpc.request<RawLog[]>('eth_getLogs', [
        { address: this.taskAddress, fromBlock: hex(a), toBlock: hex(b), topics: [[...this.topics]] },
      ]);
      this.unexplained = 0;
      return raw.filter((l) => !l.removed).map(toLog);
    } catch (err) {
      if (!(err instanceof RpcAnswerError) || isRateLimited(err)) throw err;
      if (isRangeError(err) && b > a) {
        const half = Math.max(1, Math.floor((b - a + 1) / 2));
        this.range = Math.min(this.range, half);
        this.logger?.debug(`eth_getLogs refused ${b - a + 1} blocks (${err.rpcMessage}); trying ${half}`);
        return [...(await this.getLogs(a, a + half - 1)), ...(await this.getLogs(a + half, b))];
      }
      const refused = isMethodRefused(err) || isRangeError(err) || ++this.unexplained >= 3;
      if (!refused) throw err;
      this.mode = 'blocks';
      this.logger?.warn(
        `The RPC refuses eth_getLogs (${err.rpcMessage}); reading Task events from block receipts instead (slower)`,
      );
      return this.fromBlocks(a, b);
    }
  }

  /** Block-by-block fallback: eth_getBlockReceipts, or the Task transactions' receipts. */
  private async fromBlocks(from: number, to: number): Promise<LogLike[]> {
    const out: LogLike[] = [];
    for (let n = from; n <= to; n++) {
      for (const l of await this.blockLogs(n)) {
        if (l.address.toLowerCase() === this.taskAddress.toLowerCase() && this.topics.includes(l.topics[0]?.toLowerCase())) {
          out.push(toLog(l));
        }
      }
    }
    return out;
  }

  private async blockLogs(n: number): Promise<RawLog[]> {
    if (this.blockReceipts) {
      try {
        const receipts = await this.rpc.request<Array<{ logs: RawLog[] }> | null>('eth_getBlockReceipts', [hex(n)]);
        return (receipts ?? []).flatMap((r) => r.logs);
      } catch (err) {
        if (!isMethodRefused(err)) throw err;
        this.blockReceipts = false;
      }
    }
    const block = await this.rpc.request<{ transactions: Array<{ hash: string; to: string | null }> } | null>(
      'eth_getBlockByNumber', [hex(n), true],
    );
    const ours = (block?.transactions ?? []).filter((t) => t.to && t.to.toLowerCase() === this.taskAddress.toLowerCase());
    const logs: RawLog[] = [];
    for (const t of ours) {
      const r = await this.rpc.request<{ logs: RawLog[] } | null>('eth_getTransactionReceipt', [t.hash]);
      if (r) logs.push(...r.logs);
    }
    return logs;
  }
}
