/**
 * Shared plumbing for the node tests: the test helper bound to our Node-RED, paths of the
 * built nodes, flows as the editor saves them (tab, positions, the config node and its
 * credentials), and small waits on status / messages.
 */
import path from 'node:path';
import fs from 'node:fs';
import { nodeRedPath } from '../helpers/node-red';
import { startDevnet, type Devnet, type StartDevnetOptions } from '../../devnet';
import { devnetConfigNode, type DevnetTarget } from '../../demo/flows';

// The helper has no types; it is used through a thin `any` surface.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper: any = require('node-red-node-test-helper');
// Node-RED 4 by default; the Node-RED 5 job points CRYNUX_NODE_RED_DIR at compat/node-red-5.
helper.init(nodeRedPath());

/**
 * One devnet and the test helper's server for the enclosing suite: started before its first
 * test, stopped after its last. `use` receives the devnet once it runs (call inside describe).
 */
export function useDevnet(options: StartDevnetOptions, use: (devnet: Devnet) => void): void {
  let devnet: Devnet | undefined;
  before(async () => {
    devnet = await startDevnet(options);
    use(devnet);
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
    await devnet?.stop();
  });
}

/** dist/nodes, next to this compiled file's dist/test/nodes (works for any CRYNUX_DIST). */
export const DIST_NODES = path.resolve(__dirname, '..', '..', 'nodes');

/** The module of a built node type, e.g. `nodeModule('crynux-config')`. */
export function nodeModule(type: string): (RED: unknown) => void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(DIST_NODES, `${type}.js`));
}

/** The repository root (for package.json, icons, sources). */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'nodes'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export interface StatusCall {
  fill?: string;
  shape?: string;
  text?: string;
}

/** Records every node.status call of one node (in order). */
export function recordStatus(node: { status: (s: StatusCall) => void }): StatusCall[] {
  const calls: StatusCall[] = [];
  const original = node.status.bind(node);
  node.status = (s: StatusCall) => {
    calls.push({ ...s });
    original(s);
  };
  return calls;
}

/** Resolves with the next msg a helper node receives. */
export function nextMessage<T = any>(node: { once(ev: string, fn: (msg: T) => void): void }): Promise<T> {
  return new Promise((resolve) => node.once('input', resolve));
}

/** Polls `check` until it returns a truthy value or `ms` pass. */
export async function waitUntil<T>(check: () => T | undefined | null | false, ms = 20_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Config node types of these tests: global (no `z`) and without a position. */
const CONFIG_TYPES = new Set(['crynux-config']);
const CONTAINER_TYPES = new Set(['tab', 'subflow', 'group']);
const isConfig = (n: object) => CONFIG_TYPES.has((n as { type?: string }).type ?? '');

/**
 * Gives every flow node a position, as the editor does: Node-RED takes a node without x/y for
 * a config node (the runtime files it under its tab's configs, the editor and flow export
 * likewise), so a test without x/y would not run the flow a user deploys. Existing x/y are
 * kept; tabs and config nodes get none. Flow nodes must already be on a tab (`z`).
 */
export function placed<T extends object>(nodes: T[]): T[] {
  let row = 0;
  return nodes.map((n) => {
    const { id, type } = n as { id?: string; type?: string };
    if (isConfig(n) || CONTAINER_TYPES.has(type ?? '')) return n;
    if (!('z' in n)) throw new Error(`flow node ${id} (${type}) has no z: put it on a tab (onTab)`);
    const at = { x: 160 + 220 * (row % 4), y: 60 + 60 * Math.floor(row / 4) };
    row++;
    return { ...at, ...n };
  });
}

/** Puts every flow node on one tab with a position (see placed); config nodes stay global. */
export function onTab(nodes: object[], tab = 'flow'): object[] {
  const flowNodes = nodes.map((n) => ('z' in n || isConfig(n) ? n : { ...n, z: tab }));
  return [{ id: tab, type: 'tab', label: 'test' }, ...placed(flowNodes)];
}

/** What a crynux-config node points at; a Devnet has all of it. */
export type ConfigTarget = DevnetTarget;

export const CONFIG_ID = 'cfg';

/**
 * The crynux-config node of the tests, as its dialog saves it, for `net`. It carries no key:
 * the key goes in as a credential (configCredentials), as the editor stores it.
 */
export function configNode(net: ConfigTarget, extra: Record<string, unknown> = {}): Record<string, unknown> {
  if ('privateKey' in extra || 'credentials' in extra) throw new Error('configNode: pass the key with configCredentials, not as a property');
  return devnetConfigNode(net, { id: CONFIG_ID, name: 'test devnet', pollInterval: '0.1', lowBalance: '1', store: '', ...extra });
}

/** The credentials argument of helper.load / setFlows for config node `id`. */
export function configCredentials(key: string, id = CONFIG_ID): Record<string, { privateKey: string }> {
  return { [id]: { privateKey: key } };
}

/** A complete node (fires on done() without error) wired to a helper node; a fragment for onTab. */
export function completeFlow(id = 'completer', outId = 'completed', scope: string[] | null = null): object[] {
  return [
    { id, type: 'complete', scope, uncaught: false, wires: [[outId]] },
    { id: outId, type: 'helper' },
  ];
}

/** A catch node wired to a helper node; a fragment for onTab. */
export function catchFlow(catchId = 'catcher', outId = 'caught', scope: string[] | null = null): object[] {
  return [
    { id: catchId, type: 'catch', scope, uncaught: false, wires: [[outId]] },
    { id: outId, type: 'helper' },
  ];
}
