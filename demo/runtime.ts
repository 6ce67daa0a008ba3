/**
 * A real Node-RED runtime as a child process on a free 127.0.0.1 port: the demo (`npm start`)
 * runs its editor this way, and the packaging, reliability and browser tests use the same
 * launcher to stop, kill and restart a runtime as a user's would be.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface StartNodeRedOptions {
  /** The user directory; settings.js is (re)written into it. */
  userDir: string;
  /** Editor port on 127.0.0.1; default a free one. */
  port?: number;
  /** Folder of the node-red package; default the installed one. */
  nodeRedDir?: string;
  /** Node binary; default this process's (the Node-RED 5 job uses Node 24). */
  nodeBinary?: string;
  /** settings.js properties over the defaults (JSON-serialisable). */
  settings?: Record<string, unknown>;
  /** Keep the flows already in the user dir (a restart); default: start with no flows. */
  keepFlows?: boolean;
  /** Every chunk the runtime prints (stdout and stderr). */
  onOutput?: (text: string) => void;
  startTimeoutMs?: number;
}

export interface NodeRedRuntime {
  /** e.g. http://127.0.0.1:40123/ */
  url: string;
  /** Everything the runtime printed so far. */
  log(): string;
  /** Graceful stop (SIGINT, like Ctrl-C or a service stop): nodes close, context is flushed. */
  stop(): Promise<void>;
  /** A crash: SIGKILL, nothing runs. */
  kill(): Promise<void>;
  /** Admin API call; throws on HTTP errors. */
  api<T = unknown>(method: string, pathname: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
  /** Raw text of an admin API answer (status and body). */
  raw(method: string, pathname: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; text: string }>;
}

export async function startNodeRed(options: StartNodeRedOptions): Promise<NodeRedRuntime> {
  fs.mkdirSync(options.userDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    externalModules: { palette: { allowInstall: false } },
    ...options.settings,
  };
  const settingsFile = path.join(options.userDir, 'settings.js');
  fs.writeFileSync(settingsFile, `// Generated; rewritten on every start.\nmodule.exports = ${JSON.stringify(settings, null, 2)};\n`);
  const flowFile = path.join(options.userDir, 'flows.json');
  if (!options.keepFlows || !fs.existsSync(flowFile)) fs.writeFileSync(flowFile, '[]\n');

  const red = path.join(options.nodeRedDir ?? path.dirname(require.resolve('node-red/package.json')), 'red.js');
  const child: ChildProcess = spawn(options.nodeBinary ?? process.execPath, [red, '--userDir', options.userDir, '--settings', settingsFile], {
    cwd: options.userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false', NODE_OPTIONS: '' },
  });
  let output = '';
  const onData = (b: Buffer) => {
    const text = b.toString('utf8');
    output += text;
    options.onOutput?.(text);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
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
  const runtime: NodeRedRuntime = {
    url,
    log: () => output,
    stop: () => end('SIGINT'),
    kill: () => end('SIGKILL'),
    raw,
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

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
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
