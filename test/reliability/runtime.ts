/**
 * A real Node-RED runtime (child process) for the reliability tests: unlike the packaging
 * helper it keeps its user directory and deployed flows across stop/start, so a test can stop
 * the runtime mid-task and start it again; it loads this pack straight from the built
 * `nodes` folder (`nodesDir`), and can record everything the editor would see (comms).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, nodeRedDir } from '../helpers/node-red';

/** dist/nodes beside this compiled file's dist/test/reliability (works for any CRYNUX_DIST). */
export const BUILT_NODES = path.resolve(__dirname, '..', '..', 'nodes');

export interface RuntimeOptions {
  userDir: string;
  /** settings.js properties over the defaults (JSON-serialisable). */
  settings?: Record<string, unknown>;
}

export interface Runtime {
  url: string;
  /** Everything this runtime process printed (stdout and stderr). */
  log(): string;
  /** Graceful stop (SIGINT, as `node-red` does on Ctrl-C or a service stop): nodes close, context is flushed. */
  stop(): Promise<void>;
  /** A crash: SIGKILL, nothing runs. */
  kill(): Promise<void>;
  /** Admin API call; throws on HTTP errors. */
  api<T = unknown>(method: string, pathname: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
  /** Raw text of an admin API answer (status and body), for leak checks. */
  raw(method: string, pathname: string, body?: unknown): Promise<{ status: number; text: string }>;
}

/** Starts Node-RED on a free 127.0.0.1 port, keeping whatever flows the user dir already has. */
export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  fs.mkdirSync(opts.userDir, { recursive: true });
  const port = await freePort();
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: 'crynux-reliability-test',
    nodesDir: [BUILT_NODES],
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    externalModules: { palette: { allowInstall: false } },
    ...opts.settings,
  };
  const settingsFile = path.join(opts.userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const flowFile = path.join(opts.userDir, 'flows.json');
  if (!fs.existsSync(flowFile)) fs.writeFileSync(flowFile, '[]\n');

  const red = path.join(nodeRedDir(), 'red.js');
  const child: ChildProcess = spawn(process.execPath, [red, '--userDir', opts.userDir, '--settings', settingsFile], {
    cwd: opts.userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false', NODE_OPTIONS: '' },
  });
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;

  const end = async (signal: NodeJS.Signals) => {
    if (gone()) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  const url = `http://127.0.0.1:${port}/`;
  const raw = async (method: string, pathname: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}${pathname.replace(/^\//, '')}`, {
      method,
      headers: { 'Node-RED-API-Version': 'v2', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };
  const runtime: Runtime = {
    url,
    log: () => output,
    stop: () => end('SIGINT'),
    kill: () => end('SIGKILL'),
    raw: (method, pathname, body) => raw(method, pathname, body),
    async api<T>(method: string, pathname: string, body?: unknown, headers?: Record<string, string>) {
      const r = await raw(method, pathname, body, headers);
      if (r.status >= 300) throw new Error(`${method} ${pathname}: HTTP ${r.status} ${r.text}`);
      try {
        return (r.text ? JSON.parse(r.text) : undefined) as T;
      } catch {
        return r.text as T; // e.g. "OK"
      }
    },
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone()) throw new Error(`Node-RED exited with code ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}settings`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await end('SIGKILL');
      throw new Error(`Node-RED did not answer at ${url}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return runtime;
}

const startedCount = (runtime: Runtime) => (runtime.log().match(/Started flows/g) ?? []).length;

/** Deploys `flows` (full deployment; credentials ride along in the config nodes); resolves once they run. */
export async function deploy(runtime: Runtime, flows: object[]): Promise<void> {
  const before = startedCount(runtime);
  await runtime.api('POST', 'flows', { flows }, { 'Node-RED-Deployment-Type': 'full' });
  await flowsStarted(runtime, before + 1);
}

/** Resolves once the runtime log says the flows have started `times` times in all. */
export async function flowsStarted(runtime: Runtime, times = 1, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (startedCount(runtime) < times) {
    if (Date.now() > deadline) throw new Error(`flows did not start:\n${runtime.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface WsLike {
  on(event: 'message', fn: (data: Buffer) => void): void;
  on(event: 'open' | 'close', fn: () => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  send(data: string): void;
  close(): void;
}

/**
 * Everything the runtime publishes to editors over /comms (debug messages, node status,
 * notifications), as raw text and parsed. `ws` is Node-RED's own dependency.
 */
export async function recordComms(runtime: Runtime): Promise<{ frames: string[]; messages(): Array<{ topic: string; data: unknown }>; close(): void }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const WebSocket = require(require.resolve('ws', { paths: [nodeRedDir()] })) as new (url: string) => WsLike;
  const ws = new WebSocket(`${runtime.url.replace(/^http/, 'ws')}comms`);
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(data.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('error', reject);
  });
  for (const topic of ['debug', 'status/#', 'notification/#', 'event-log/#']) ws.send(JSON.stringify({ subscribe: topic }));
  return {
    frames,
    messages: () => frames.flatMap((f) => {
      const parsed = JSON.parse(f) as unknown;
      return Array.isArray(parsed) ? (parsed as Array<{ topic: string; data: unknown }>) : [];
    }),
    close: () => ws.close(),
  };
}
