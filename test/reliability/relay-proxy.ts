/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of the devnet's relay (issue 6 item 5).
 * Each request to an `/v1/inference_tasks…` path is forwarded unchanged unless the next
 * scripted fault says otherwise: an HTTP error status with a body, no answer at all (hang),
 * or a slow answer. `/v1/now` is always forwarded, so clock sync never consumes a fault.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type RelayFault =
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'hang' }
  | { kind: 'slow'; delayMs: number };

export interface RelayRequestRecord {
  method: string;
  path: string;
  /** When the proxy received it (ms since the epoch). */
  at: number;
  /** 'forwarded', or the fault applied. */
  handled: 'forwarded' | RelayFault['kind'];
  status?: number;
}

export interface RelayProxy {
  url: string;
  readonly requests: RelayRequestRecord[];
  /** Faults for the next task requests, in order; consumed one per request. */
  readonly faults: RelayFault[];
  /** Applied to every task request once `faults` is empty; undefined = forward. */
  always: RelayFault | undefined;
  close(): Promise<void>;
}

export async function startRelayProxy(target: string): Promise<RelayProxy> {
  const hanging = new Set<http.ServerResponse>();
  const proxy: RelayProxy = {
    url: '',
    requests: [],
    faults: [],
    always: undefined,
    close: () =>
      new Promise((resolve) => {
        for (const r of hanging) r.socket?.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  async function forward(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse, rec: RelayRequestRecord): Promise<void> {
    const headers: Record<string, string> = {};
    if (req.headers['content-type']) headers['content-type'] = String(req.headers['content-type']);
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
    });
    const bytes = Buffer.from(await answer.arrayBuffer());
    rec.status = answer.status;
    const out: Record<string, string> = {};
    for (const h of ['content-type', 'content-disposition']) {
      const v = answer.headers.get(h);
      if (v) out[h] = v;
    }
    res.writeHead(answer.status, { ...out, 'content-length': String(bytes.length) }).end(bytes);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const path = (req.url ?? '/').split('?')[0];
      const rec: RelayRequestRecord = { method: req.method ?? '', path, at: Date.now(), handled: 'forwarded' };
      const fault = path.startsWith('/v1/inference_tasks') ? proxy.faults.shift() ?? proxy.always : undefined;
      if (path.startsWith('/v1/inference_tasks')) proxy.requests.push(rec);
      try {
        if (fault?.kind === 'hang') {
          rec.handled = 'hang';
          hanging.add(res);
          return;
        }
        if (fault?.kind === 'status') {
          rec.handled = 'status';
          rec.status = fault.status;
          res.writeHead(fault.status, { 'content-type': 'text/plain' }).end(fault.body ?? `${fault.status} injected`);
          return;
        }
        if (fault?.kind === 'slow') {
          rec.handled = 'slow';
          await new Promise((r) => setTimeout(r, fault.delayMs));
        }
        await forward(req, body, res, rec);
      } catch (err) {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end(`relay proxy: ${(err as Error).message}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
