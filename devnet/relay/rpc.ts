/**
 * Minimal JSON-RPC over fetch for the stand-in relay and the simulated workers. Plain
 * requests (no provider caching or polling of its own) keep the devnet's timing explicit.
 */
import type { RawLog } from '../../lib/chain/logs';

export class RpcError extends Error {
  constructor(
    readonly method: string,
    message: string,
    /** Revert data from `eth_call`/`eth_estimateGas` errors, when the node gave any. */
    readonly data?: string,
  ) {
    super(`${method}: ${message}`);
  }
}

let nextId = 0;

export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: ++nextId, method, params }),
  });
  const body = (await res.json()) as { result?: T; error?: { message?: string; data?: unknown } };
  if (body.error) {
    const data = typeof body.error.data === 'string' ? body.error.data : undefined;
    throw new RpcError(method, body.error.message ?? JSON.stringify(body.error), data);
  }
  return body.result as T;
}

/** A log as JSON-RPC returns it: the library's shape, shared. */
export type RpcLog = RawLog;

/** eth_getLogs in bounded ranges (SPEC §3.10), inclusive of both ends. */
export async function getLogs(
  url: string,
  filter: { address: string; topics?: (string | null | string[])[] },
  fromBlock: number,
  toBlock: number,
  maxRange = 2000,
): Promise<RpcLog[]> {
  const out: RpcLog[] = [];
  for (let from = fromBlock; from <= toBlock; from += maxRange) {
    const to = Math.min(toBlock, from + maxRange - 1);
    const logs = await rpc<RpcLog[]>(url, 'eth_getLogs', [
      { ...filter, fromBlock: `0x${from.toString(16)}`, toBlock: `0x${to.toString(16)}` },
    ]);
    out.push(...logs);
  }
  return out;
}

export async function blockNumber(url: string): Promise<number> {
  return Number(BigInt(await rpc<string>(url, 'eth_blockNumber')));
}
