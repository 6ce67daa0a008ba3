/**
 * Helpers for the client's devnet tests: a tiny JSON-RPC proxy on 127.0.0.1 in front of
 * anvil that counts calls per method and can refuse methods or large eth_getLogs ranges
 * the way public RPCs do (SPEC §8 item 30), plus a free-but-closed port for "dead" URLs.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CrynuxClient } from '../../lib/client';
import type { CrynuxClientOptions } from '../../lib/client-types';
import type { Devnet } from '../../devnet';

export interface RpcProxy {
  url: string;
  /** Calls per JSON-RPC method since the last reset. */
  counts: Map<string, number>;
  /** The block span of every eth_getLogs forwarded. */
  logRanges: number[];
  /** The fromBlock of every eth_getLogs forwarded. */
  logFrom: number[];
  /** Methods answered with "method not found". */
  refuse: Set<string>;
  /** eth_getLogs spans above this are answered "block range is too large". */
  maxRange?: number;
  reset(): void;
  count(method: string): number;
  /** Resolves once `method` has been called `n` more times. */
  waitForCalls(method: string, n: number): Promise<void>;
  close(): Promise<void>;
}

interface Call {
  id: unknown;
  method: string;
  params?: unknown[];
}

export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const waiters: Array<{ method: string; until: number; resolve: () => void }> = [];
  const proxy: RpcProxy = {
    url: '',
    counts: new Map(),
    logRanges: [],
    logFrom: [],
    refuse: new Set(),
    reset() {
      this.counts.clear();
      this.logRanges.length = 0;
      this.logFrom.length = 0;
    },
    count(method) {
      return this.counts.get(method) ?? 0;
    },
    waitForCalls(method, n) {
      return new Promise((resolve) => waiters.push({ method, until: proxy.count(method) + n, resolve }));
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  async function answer(call: Call): Promise<unknown> {
    proxy.counts.set(call.method, proxy.count(call.method) + 1);
    for (const w of waiters.splice(0)) {
      if (w.method === call.method && proxy.count(w.method) >= w.until) w.resolve();
      else waiters.push(w);
    }
    if (proxy.refuse.has(call.method)) {
      return { jsonrpc: '2.0', id: call.id, error: { code: -32601, message: `the method ${call.method} does not exist/is not available` } };
    }
    if (call.method === 'eth_getLogs') {
      const f = (call.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
      const span = Number(f.toBlock) - Number(f.fromBlock) + 1;
      if (proxy.maxRange !== undefined && span > proxy.maxRange) {
        return { jsonrpc: '2.0', id: call.id, error: { code: -32005, message: `block range is too large (${span} > ${proxy.maxRange})` } };
      }
      proxy.logRanges.push(span);
      proxy.logFrom.push(Number(f.fromBlock));
    }
    const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(call) });
    return res.json();
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Call | Call[];
        const out = Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      } catch (err) {
        res.writeHead(502).end(String(err));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/** A URL on 127.0.0.1 where nothing listens (the port was free a moment ago). */
export async function deadUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** A client for the devnet's application wallet (or `key`), polling fast. */
export function devnetClient(devnet: Devnet, extra: Partial<CrynuxClientOptions> = {}): CrynuxClient {
  return new CrynuxClient({
    rpcUrls: [devnet.rpcUrl],
    chainId: devnet.chainId,
    taskAddress: devnet.taskAddress,
    taskQueueAddress: devnet.taskQueueAddress,
    relayUrl: devnet.relayUrl,
    privateKey: devnet.appPrivateKey,
    pollIntervalMs: 100,
    ...extra,
  });
}

/** A task hash that is just distinct (no relay upload needed for chain-only tests). */
export function fakeTaskHash(n: number): string {
  return `0x${n.toString(16).padStart(64, '0')}`;
}
