/**
 * A scripted relay on 127.0.0.1 for the RelayClient unit tests: it keeps its own clock
 * (for skew), verifies signatures like SPEC §5.5 and answers what each test scripts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { recoverRelaySigner, type RelayFields } from '../../lib/protocol';

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: string;
  /** The signer recovered from the request, or the verification problem. */
  signer?: string;
  problem?: string;
}

export interface Answer {
  status?: number;
  json?: unknown;
  bytes?: Buffer;
  /** Send the bytes without Content-Length (chunked). */
  chunked?: boolean;
  /** Never answer (to exercise per-request timeouts). */
  hang?: boolean;
  /** Drop the connection without an answer. */
  reset?: boolean;
  delayMs?: number;
}

export interface ScriptedRelay {
  url: string;
  /** Relay clock minus the real clock, seconds. */
  skewSeconds: number;
  requests: SeenRequest[];
  nowCalls: number;
  active: number;
  maxActive: number;
  script: (req: SeenRequest) => Answer;
  close(): Promise<void>;
}

export const validationError = (field: string, message: string): Answer => ({
  status: 400, json: { message: 'validation_error', data: { field_name: field, message } },
});

export async function startScriptedRelay(): Promise<ScriptedRelay> {
  const hanging: http.ServerResponse[] = [];
  const relay: ScriptedRelay = {
    url: '', skewSeconds: 0, requests: [], nowCalls: 0, active: 0, maxActive: 0,
    script: () => ({ json: { message: 'success' } }),
    close: () => new Promise((resolve) => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  const now = () => Math.floor(Date.now() / 1000) + relay.skewSeconds;

  function verify(req: SeenRequest): void {
    let fields: RelayFields | undefined;
    let ts: string | null = req.query.get('timestamp');
    let sig: string | null = req.query.get('signature');
    const m = /^\/v1\/inference_tasks\/(\d+)(?:\/results\/(\w+))?$/.exec(req.path);
    if (req.method === 'POST' && req.path === '/v1/inference_tasks') {
      const b = JSON.parse(req.body) as { task_args: string; timestamp: number; signature: string };
      const id = /"task_id":(\d+)/.exec(req.body)?.[1] ?? '0';
      fields = { task_args: b.task_args, task_id: BigInt(id) };
      ts = String(b.timestamp);
      sig = b.signature;
    } else if (m) {
      fields = m[2] !== undefined ? { image_num: m[2], task_id: BigInt(m[1]) } : { task_id: BigInt(m[1]) };
    }
    if (!fields || !ts || !sig) return;
    if (Math.abs(now() - Number(ts)) > 60) {
      req.problem = 'stale timestamp';
      return;
    }
    try {
      req.signer = recoverRelaySigner(fields, BigInt(ts), sig);
    } catch (err) {
      req.problem = (err as Error).message;
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/v1/now') {
        relay.nowCalls++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'success', data: { now: now() } }));
        return;
      }
      const seen: SeenRequest = { method: req.method ?? '', path: u.pathname, query: u.searchParams, body: Buffer.concat(chunks).toString('utf8') };
      verify(seen);
      relay.requests.push(seen);
      const a = seen.problem ? validationError('signature', 'Invalid signature') : relay.script(seen);
      if (a.reset) {
        res.socket?.destroy();
        return;
      }
      if (a.hang) {
        hanging.push(res);
        return;
      }
      relay.active++;
      relay.maxActive = Math.max(relay.maxActive, relay.active);
      setTimeout(() => {
        relay.active--;
        if (a.bytes) {
          const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
          if (!a.chunked) headers['content-length'] = String(a.bytes.length);
          res.writeHead(a.status ?? 200, headers);
          if (a.chunked) {
            for (let i = 0; i < a.bytes.length; i += 1024) res.write(a.bytes.subarray(i, i + 1024));
            res.end();
          } else res.end(a.bytes);
          return;
        }
        res.writeHead(a.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(a.json ?? { message: 'success' }));
      }, a.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return relay;
}
