/**
 * Counting proxies on 127.0.0.1 (free ports): JSON-RPC in front of the devnet's anvil (what a
 * client asks of its RPC provider is what users pay for: rate limits, metered plans), and HTTP
 * in front of the relay. Both forward everything unchanged and only count.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  url: string;
  /** Calls per JSON-RPC method since the last reset (a batch counts each call). */
  counts: Map<string, number>;
  total(): number;
  count(method: string): number;
  reset(): void;
  /** A copy of the counts, e.g. to diff two moments. */
  snapshot(): Record<string, number>;
  close(): Promise<void>;
}

interface Call {
  id?: unknown;
  method?: string;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      try {
        const parsed = JSON.parse(body.toString('utf8')) as Call | Call[];
        for (const c of Array.isArray(parsed) ? parsed : [parsed]) {
          const m = String(c?.method ?? '?');
          counts.set(m, (counts.get(m) ?? 0) + 1);
        }
      } catch {
        counts.set('(unparsable)', (counts.get('(unparsable)') ?? 0) + 1);
      }
      fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
        .then(async (up) => {
          const text = await up.text();
          res.writeHead(up.status, { 'content-type': 'application/json' }).end(text);
        })
        .catch((err: Error) => {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`proxy: ${err.message}`);
        });
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    counts,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    count: (m) => counts.get(m) ?? 0,
    reset: () => counts.clear(),
    snapshot: () => Object.fromEntries(counts),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface HttpCounter {
  url: string;
  /** Requests per "METHOD route" since the last reset (ids replaced by :id). */
  counts: Map<string, number>;
  total(): number;
  reset(): void;
  snapshot(): Record<string, number>;
  close(): Promise<void>;
}

/** The same for the relay: forwards any HTTP request, counting them by route. */
export async function startHttpCounter(target: string): Promise<HttpCounter> {
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const route = `${req.method} ${(req.url ?? '').split('?')[0].replace(/\/\d+/g, '/:id')}`;
      counts.set(route, (counts.get(route) ?? 0) + 1);
      const headers: Record<string, string> = {};
      if (req.headers['content-type']) headers['content-type'] = req.headers['content-type'];
      const body = chunks.length ? Buffer.concat(chunks) : undefined;
      fetch(`${target}${req.url ?? ''}`, { method: req.method, headers, body })
        .then(async (up) => {
          const bytes = Buffer.from(await up.arrayBuffer());
          const out: Record<string, string> = {};
          for (const h of ['content-type', 'content-disposition']) {
            const v = up.headers.get(h);
            if (v) out[h] = v;
          }
          res.writeHead(up.status, out).end(bytes);
        })
        .catch((err: Error) => {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`proxy: ${err.message}`);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => counts.clear(),
    snapshot: () => Object.fromEntries(counts),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
