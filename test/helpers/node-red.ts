/**
 * Which Node-RED the tests run against, and a real Node-RED runtime (a child process) for the
 * packaging tests. `CRYNUX_NODE_RED_DIR` points at another node-red package folder (the
 * Node-RED 5 job sets it to compat/node-red-5/node_modules/node-red); unset, the installed
 * devDependency is used. Node tests call `helper.init(nodeRedPath())`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Folder of the node-red package under test. */
export function nodeRedDir(): string {
  const override = process.env.CRYNUX_NODE_RED_DIR;
  if (override) {
    const dir = path.resolve(override);
    if (!fs.existsSync(path.join(dir, 'package.json'))) {
      throw new Error(`CRYNUX_NODE_RED_DIR must be a node-red package folder; ${dir} has no package.json`);
    }
    return dir;
  }
  return path.dirname(require.resolve('node-red/package.json'));
}

/** The node-red module's entry file (what node-red-node-test-helper's `init` takes). */
export function nodeRedPath(): string {
  return process.env.CRYNUX_NODE_RED_DIR ? require.resolve(nodeRedDir()) : require.resolve('node-red');
}

export function nodeRedVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(nodeRedDir(), 'package.json'), 'utf8')) as { version: string }).version;
}

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
  /** A Node-RED user directory; settings.js and an empty flows.json are written into it. */
  userDir: string;
  /** Default: the node-red under test (`nodeRedDir()`). */
  nodeRedDir?: string;
  /** Default: this process's Node (the Node-RED 5 job runs mocha on Node 24). */
  nodeBinary?: string;
  /** Extra settings.js properties (JSON-serialisable), over the defaults. */
  settings?: Record<string, unknown>;
  /** Milliseconds to wait for the editor to answer. */
  startTimeoutMs?: number;
}

export interface NodeRedRuntime {
  /** e.g. http://127.0.0.1:40123/ */
  url: string;
  /** Everything the runtime printed so far, stdout and stderr interleaved. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `node red.js` on a free 127.0.0.1 port and resolves once the admin API answers. */
export async function startNodeRed(options: StartNodeRedOptions): Promise<NodeRedRuntime> {
  const port = await freePort();
  const settingsFile = path.join(options.userDir, 'settings.js');
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    credentialSecret: 'crynux-package-test',
    editorTheme: { tours: false, projects: { enabled: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    diagnostics: { enabled: false },
    telemetry: { enabled: false },
    externalModules: { palette: { allowInstall: false } },
    ...options.settings,
  };
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  fs.writeFileSync(path.join(options.userDir, 'flows.json'), '[]\n');

  const red = path.join(options.nodeRedDir ?? nodeRedDir(), 'red.js');
  const child: ChildProcess = spawn(options.nodeBinary ?? process.execPath, [red, '--userDir', options.userDir, '--settings', settingsFile], {
    cwd: options.userDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false', NODE_OPTIONS: '' },
  });
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Node-RED exited with code ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}settings`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Node-RED did not answer at ${url}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return { url, log: () => output, stop };
}

/**
 * Lines of a runtime log that are warnings or errors about `needle` (our module or types), and
 * any process warning (Deprecation/Experimental) – the runtime must load the pack silently.
 * Node-RED prints a failed node set as a block of `[warn]` lines naming the module.
 */
export function complaintsAbout(log: string, needles: string[]): string[] {
  const lines = log.split('\n');
  return lines.filter((line) => {
    const lower = line.toLowerCase();
    if (/^\(node:\d+\) .*Warning:/.test(line.trim())) return true;
    const levelled = /\[(warn|error)\]/.test(lower);
    return levelled && needles.some((n) => lower.includes(n.toLowerCase()));
  });
}
