/**
 * Which Node-RED the tests run against, and a real Node-RED runtime of it (a child process,
 * demo/runtime.ts) for the packaging and reliability tests. `CRYNUX_NODE_RED_DIR` points at another node-red package folder (the
 * Node-RED 5 job sets it to compat/node-red-5/node_modules/node-red); unset, the installed
 * devDependency is used. Node tests call `helper.init(nodeRedPath())`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startNodeRed as startRuntimeProcess, type NodeRedRuntime, type StartNodeRedOptions } from '../../demo/runtime';

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

export { freePort, type NodeRedRuntime } from '../../demo/runtime';

/** A real runtime of the Node-RED under test (`nodeRedDir()`), with a fixed test credential secret. */
export function startNodeRed(options: StartNodeRedOptions): Promise<NodeRedRuntime> {
  return startRuntimeProcess({
    nodeRedDir: nodeRedDir(),
    ...options,
    settings: { credentialSecret: 'crynux-package-test', ...options.settings },
  });
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
