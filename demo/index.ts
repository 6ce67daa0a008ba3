/**
 * The out-of-the-box demo: a devnet plus a Node-RED runtime (a child process) that loads
 * this pack from the working tree, with the example flows deployed against the devnet.
 * Used by `npm start`, the browser tests and benchmarks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startDevnet, type Devnet, type StartDevnetOptions } from '../devnet';
import { buildDemoFlows, readExamples } from './flows';
import { startNodeRed, type NodeRedRuntime } from './runtime';

export interface StartDemoOptions {
  /** Editor port; default a free one. */
  port?: number;
  /** Node-RED user directory; default `<repo>/.node-red-demo` (git-ignored). Wiped on start. */
  userDir?: string;
  /** Node binary for the runtime (e.g. Node 24 for Node-RED 5); default this process's. */
  nodeBinary?: string;
  /** Folder of the node-red package to run; default the installed devDependency. */
  nodeRedDir?: string;
  devnet?: StartDevnetOptions;
  /** Folder of example flows to deploy; default `<repo>/examples`. */
  examplesDir?: string;
  /** Where runtime and devnet lines go; default nowhere. */
  log?: (line: string) => void;
}

export interface Demo {
  editorUrl: string;
  userDir: string;
  devnet: Devnet;
  /** Everything the runtime printed so far (for tests that check the log). */
  runtimeLog(): string;
  stop(): Promise<void>;
}

export const REPO_ROOT = (() => {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    if (path.dirname(dir) === dir) return process.cwd();
    dir = path.dirname(dir);
  }
  return dir;
})();

/** A fixed secret: the demo's credentials file only ever holds the public devnet key. */
const DEMO_CREDENTIAL_SECRET = 'crynux-devnet-demo-only';

/** Makes the pack visible to Node-RED as an installed module, straight from the working tree. */
function linkPack(userDir: string): void {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string };
  const target = path.join(userDir, 'node_modules', ...pkg.name.split('/'));
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.rmSync(target, { recursive: true, force: true });
  fs.symlinkSync(REPO_ROOT, target, 'dir');
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'crynux-demo', private: true, dependencies: { [pkg.name]: `file:${REPO_ROOT}` } }, null, 2));
}

export async function startDemo(options: StartDemoOptions = {}): Promise<Demo> {
  const log = options.log ?? (() => undefined);
  const userDir = path.resolve(options.userDir ?? path.join(REPO_ROOT, '.node-red-demo'));
  fs.rmSync(userDir, { recursive: true, force: true });
  fs.mkdirSync(userDir, { recursive: true });
  linkPack(userDir);

  const devnet = await startDevnet({ ...options.devnet, log: options.devnet?.log });
  let runtime: NodeRedRuntime | undefined;
  const stop = async () => {
    await runtime?.stop();
    await devnet.stop();
  };
  try {
    runtime = await startNodeRed({
      userDir,
      port: options.port,
      nodeRedDir: options.nodeRedDir,
      nodeBinary: options.nodeBinary,
      settings: {
        credentialSecret: DEMO_CREDENTIAL_SECRET,
        // Persistent context so pending tasks survive a restart (README "Reliability").
        contextStorage: { default: { module: 'localfilesystem' }, memory: { module: 'memory' } },
      },
      onOutput: (text) => {
        for (const line of text.split('\n')) if (line.trim()) log(line);
      },
    });
    const editorUrl = runtime.url;

    const flows = buildDemoFlows(readExamples(options.examplesDir ?? path.join(REPO_ROOT, 'examples')), {
      rpcUrl: devnet.rpcUrl,
      chainId: devnet.chainId,
      taskAddress: devnet.taskAddress,
      taskQueueAddress: devnet.taskQueueAddress,
      relayUrl: devnet.relayUrl,
      privateKey: devnet.appPrivateKey,
    });
    await runtime.api('POST', 'flows', { flows }, { 'Node-RED-Deployment-Type': 'full' });
    return { editorUrl, userDir, devnet, runtimeLog: () => runtime!.log(), stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
