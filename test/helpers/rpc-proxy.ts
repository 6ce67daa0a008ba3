/**
 * A small fault-injecting JSON-RPC proxy on 127.0.0.1 in front of a real node (anvil), for
 * the reliability tests (issue 6): it forwards every call unchanged unless told to
 *
 * - be down: `kill('reset')` drops each connection without an answer, `kill('hang')` never
 *   answers, `kill('refuse')` closes the listening socket (connection refused); `revive()`
 *   undoes any of them, on the same URL (calls caught by a hang stay unanswered);
 * - answer slowly (`delayMs`);
 * - refuse methods the way public RPCs do (`refuse`: "method not found", -32601);
 * - refuse eth_getLogs spans above `maxLogRange` ("block range is too large", -32005);
 * - fail chosen calls of a method, before or after forwarding them (`failCalls`).
 *
 * It counts calls per method and records the span and start of every forwarded eth_getLogs.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type DownMode = 'reset' | 'hang' | 'refuse';

/**
 * How `failCalls` fails a call: 'error' answers with a JSON-RPC error without forwarding;
 * 'drop-before' drops the connection without forwarding; 'drop-after' forwards the call and
 * then drops the connection, so the node acted but the client never hears the answer; 'hang'
 * neither forwards nor answers.
 */
export type FailHow = 'error' | 'drop-before' | 'drop-after' | 'hang';

export interface RpcCallRecord {
  method: string;
  params: unknown[];
}

export interface RpcProxy {
  readonly url: string;
  readonly target: string;
  /** Calls per JSON-RPC method that reached the proxy while it was up. */
  readonly counts: Map<string, number>;
  /** Every call that reached the proxy while it was up, in order. */
  readonly calls: RpcCallRecord[];
  /** Block span and fromBlock of every eth_getLogs forwarded to the node. */
  readonly logRanges: Array<{ from: number; span: number }>;
  /** Methods answered "the method … does not exist/is not available". */
  readonly refuse: Set<string>;
  /** eth_getLogs spans above this are answered "block range is too large". */
  maxLogRange: number | undefined;
  /** Delay before each answer, ms. */
  delayMs: number;
  /** undefined while up. */
  readonly down: DownMode | undefined;
  count(method: string): number;
  reset(): void;
  /** Resolves once `method` has been called `n` more times (from now). */
  waitForCalls(method: string, n?: number): Promise<void>;
  /**
   * Fails the given calls of `method`, counted from now (1 = the next one). Calls without a
   * rule are forwarded as usual.
   */
  failCalls(method: string, which: number[], how: FailHow, message?: string): void;
  kill(mode?: DownMode): Promise<void>;
  revive(): Promise<void>;
  close(): Promise<void>;
}

interface Call {
  jsonrpc?: string;
  id: unknown;
  method: string;
  params?: unknown[];
}

class Dropped extends Error {}
class Hung extends Error {}

export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const sockets = new Set<Socket>();
  const hanging = new Set<http.ServerResponse>();
  const waiters: Array<{ method: string; until: number; resolve: () => void }> = [];
  const failures: Array<{ method: string; at: number; how: FailHow; message: string }> = [];
  let port = 0;
  let downMode: DownMode | undefined;
  let closed = false;

  const proxy: RpcProxy = {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    target,
    counts: new Map(),
    calls: [],
    logRanges: [],
    refuse: new Set(),
    maxLogRange: undefined,
    delayMs: 0,
    get down() {
      return downMode;
    },
    count: (method) => proxy.counts.get(method) ?? 0,
    reset() {
      proxy.counts.clear();
      proxy.calls.length = 0;
      proxy.logRanges.length = 0;
    },
    waitForCalls(method, n = 1) {
      return new Promise((resolve) => waiters.push({ method, until: proxy.count(method) + n, resolve }));
    },
    failCalls(method, which, how, message = `injected failure of ${method}`) {
      const base = proxy.count(method);
      for (const n of which) failures.push({ method, at: base + n, how, message });
    },
    async kill(mode = 'reset') {
      if (downMode === 'refuse') await listen();
      downMode = mode;
      if (mode === 'refuse') await unlisten();
      // Open keep-alive connections would otherwise still carry answers.
      for (const s of sockets) s.destroy();
    },
    async revive() {
      const was = downMode;
      downMode = undefined;
      // Calls caught by the outage stay unanswered (the client's timeout ends them).
      if (was === 'refuse') await listen();
    },
    async close() {
      if (closed) return;
      closed = true;
      downMode = undefined;
      for (const r of hanging) r.socket?.destroy();
      for (const s of sockets) s.destroy();
      await unlisten();
    },
  };

  function record(call: Call): void {
    proxy.counts.set(call.method, proxy.count(call.method) + 1);
    proxy.calls.push({ method: call.method, params: call.params ?? [] });
    for (const w of waiters.splice(0)) {
      if (w.method === call.method && proxy.count(w.method) >= w.until) w.resolve();
      else waiters.push(w);
    }
  }

  const error = (call: Call, code: number, message: string) => ({ jsonrpc: '2.0', id: call.id, error: { code, message } });

  async function forward(call: Call): Promise<unknown> {
    const res = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(call) });
    return res.json();
  }

  async function answer(call: Call): Promise<unknown> {
    record(call);
    const f = failures.find((x) => x.method === call.method && x.at === proxy.count(call.method));
    if (f) {
      if (f.how === 'error') return error(call, -32000, f.message);
      if (f.how === 'drop-before') throw new Dropped();
      if (f.how === 'hang') throw new Hung();
      await forward(call);
      throw new Dropped();
    }
    if (proxy.refuse.has(call.method)) return error(call, -32601, `the method ${call.method} does not exist/is not available`);
    if (call.method === 'eth_getLogs') {
      const filter = (call.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
      const from = Number(filter.fromBlock);
      const span = Number(filter.toBlock) - from + 1;
      if (proxy.maxLogRange !== undefined && span > proxy.maxLogRange) {
        return error(call, -32005, `block range is too large (${span} > ${proxy.maxLogRange})`);
      }
      proxy.logRanges.push({ from, span });
    }
    return forward(call);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (downMode === 'reset') return void req.socket.destroy();
      if (downMode === 'hang') return void hanging.add(res);
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Call | Call[];
        const out = Array.isArray(body) ? await Promise.all(body.map(answer)) : await answer(body);
        if (proxy.delayMs > 0) await new Promise((r) => setTimeout(r, proxy.delayMs));
        if (downMode) return void req.socket.destroy(); // went down while this call was in flight
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      } catch (err) {
        if (err instanceof Dropped) return void req.socket.destroy();
        if (err instanceof Hung) return void hanging.add(res);
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`proxy: ${(err as Error).message}`);
      }
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  function unlisten(): Promise<void> {
    return new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  await listen();
  return proxy;
}
