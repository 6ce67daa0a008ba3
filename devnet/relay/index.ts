/**
 * The devnet's stand-in for crynux-relay 969e500 (SPEC §4, §5.5, §7.6): plain node:http,
 * chain events indexed from the Task contract with a configurable lag, an injectable clock
 * and a pluggable SD image hash shared with the simulated workers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateTaskArgs } from '../../lib/task-args';
import { imageHash } from '../image-hash';
import { getResult, getTask, uploadResults, uploadTaskArgs, type HandlerContext } from './handlers';
import { BodyTooLargeError, sendJson, sendNotFound, sendPreflight, sendSuccess } from './http';
import { networkSummary, nodesData, nodesNumber, tasksNumber, type NetworkSource } from './network';
import { dirFileStore, memoryFileStore, TaskStore, type RelayTask } from './store';
import { ChainSync } from './sync';

export interface StartRelayOptions {
  rpcUrl: string;
  taskAddress: string;
  /** Node contract, for the network extras' node list (optional). */
  nodeAddress?: string;
  /** Listen address; 127.0.0.1 only by default. */
  host?: string;
  /** 0 (default) = a free port. */
  port?: number;
  /** How often the chain is polled; default 500 ms. */
  syncIntervalMs?: number;
  /** Extra delay before a fetched event takes effect (SPEC §4.4: 1–several s on the real relay); default 0. */
  lagMs?: number;
  /** Relay clock in unix seconds (signature window, /v1/now, timestamps); default the system clock. */
  now?: () => number;
  /** Where result files go; default memory. */
  storage?: 'memory' | { dir: string };
  /** First block to index; default 0. */
  fromBlock?: number;
  /** SD image hash; default the devnet's (devnet/image-hash.ts), which the workers use too. */
  imageHash?: (png: Uint8Array) => Uint8Array;
  log?: (line: string) => void;
}

export interface RelayHandle {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234. */
  url: string;
  stop(): Promise<void>;
  /** Test hook: index the chain up to its latest block now, ignoring the lag. */
  syncNow(): Promise<void>;
  /** Test hook: the relay's record of a task (live object; do not modify). */
  getTask(taskId: bigint | number | string): RelayTask | undefined;
  /** Test hook: resolves when `predicate` holds after a sync or request (rejects after timeoutMs). */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
}

const TASK_PATH = /^\/v1\/inference_tasks\/([^/]+)$/;
const RESULTS_PATH = /^\/v1\/inference_tasks\/([^/]+)\/results$/;
const RESULT_PATH = /^\/v1\/inference_tasks\/([^/]+)\/results\/([^/]+)$/;

export async function startRelay(opts: StartRelayOptions): Promise<RelayHandle> {
  if (!opts.rpcUrl) throw new Error('startRelay: rpcUrl is required');
  if (!/^0x[0-9a-fA-F]{40}$/.test(opts.taskAddress ?? '')) throw new Error('startRelay: taskAddress must be a 0x address');
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const log = opts.log ?? (() => undefined);
  const store = new TaskStore(now);
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const w of [...waiters]) w();
  };

  const ctx: HandlerContext = {
    store,
    files: opts.storage && opts.storage !== 'memory' ? dirFileStore(opts.storage.dir) : memoryFileStore(),
    now,
    imageHash: opts.imageHash ?? imageHash,
    validateArgs: (taskType, args) => validateTaskArgs(taskType, args as object, { allowUnknownKeys: true }),
    onChange: changed,
  };
  const network: NetworkSource = { store, rpcUrl: opts.rpcUrl, nodeAddress: opts.nodeAddress };
  const sync = new ChainSync({
    rpcUrl: opts.rpcUrl,
    taskAddress: opts.taskAddress,
    store,
    intervalMs: opts.syncIntervalMs ?? 500,
    lagMs: opts.lagMs ?? 0,
    fromBlock: opts.fromBlock,
    log,
    onApplied: changed,
  });

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://relay.invalid');
    let segments: string[];
    try {
      segments = url.pathname.split('/').map(decodeURIComponent);
    } catch {
      return sendNotFound(res);
    }
    const path = segments.join('/');
    const m = req.method;
    if (m === 'OPTIONS') return sendPreflight(res);
    if (m === 'GET' && path === '/v1/now') return sendSuccess(res, { now: Math.floor(now()) });
    if (m === 'POST' && path === '/v1/inference_tasks') return uploadTaskArgs(ctx, req, res);
    let match: RegExpMatchArray | null;
    if (m === 'GET' && (match = path.match(TASK_PATH))) return getTask(ctx, res, match[1], url.searchParams);
    if (m === 'POST' && (match = path.match(RESULTS_PATH))) return uploadResults(ctx, req, res, match[1]);
    if (m === 'GET' && (match = path.match(RESULT_PATH))) return getResult(ctx, res, match[1], match[2], url.searchParams);
    if (m === 'GET' && path === '/v1/network') return sendSuccess(res, await networkSummary(network));
    if (m === 'GET' && path === '/v1/network/nodes/number') return sendSuccess(res, await nodesNumber(network));
    if (m === 'GET' && path === '/v1/network/tasks/number') return sendSuccess(res, tasksNumber(network));
    if (m === 'GET' && path === '/v1/network/nodes/data') {
      const start = Math.max(0, Number(url.searchParams.get('start') ?? 0) || 0);
      const total = Math.max(0, Number(url.searchParams.get('total') ?? 30) || 30);
      return sendSuccess(res, await nodesData(network, start, total));
    }
    return sendNotFound(res);
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      if (err instanceof BodyTooLargeError) return sendJson(res, 413, { message: err.message });
      // Like a Go panic: empty 500 (SPEC §4.1).
      log(`relay: internal error on ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`);
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') return reject(err);
      reject(new Error(`relay: port ${opts.port} is in use: stop the other devnet or pass --relay-port 0 (a free port)`, { cause: err }));
    });
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  sync.start();
  log(`relay: listening on http://${host}:${addr.port}`);

  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${addr.port}`,
    stop: () =>
      (stopping ??= (async () => {
        await sync.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })()),
    syncNow: () => sync.syncNow(),
    getTask: (id) => store.get(BigInt(id)),
    waitFor: (predicate, timeoutMs = 30_000) =>
      new Promise<void>((resolve, reject) => {
        if (predicate()) return resolve();
        const check = () => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`relay.waitFor: condition not met within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
      }),
  };
}

export { verifyRelaySignature, goHexDecodeError, TIMESTAMP_WINDOW_SECONDS, type SignatureCheck } from './verify';
export { RelayStatus, type RelayTask, type RelayNode } from './store';
export { parseGoJson, goJson, JsonNumber, GoJsonSyntaxError } from './json';
