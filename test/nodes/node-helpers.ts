/**
 * Shared plumbing for the node tests: the test helper bound to our Node-RED, paths of the
 * built nodes, and small waits on status / messages.
 */
import path from 'node:path';
import fs from 'node:fs';
import { nodeRedPath } from '../helpers/node-red';

// The helper has no types; it is used through a thin `any` surface.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const helper: any = require('node-red-node-test-helper');
// Node-RED 4 by default; the Node-RED 5 job points CRYNUX_NODE_RED_DIR at compat/node-red-5.
helper.init(nodeRedPath());

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

/** Puts every node on one tab (nodes without `z` would count as config nodes). */
export function onTab(nodes: object[], tab = 'flow'): object[] {
  return [{ id: tab, type: 'tab', label: 'test' }, ...nodes.map((n) => ('z' in n || (n as { type: string }).type === 'crynux-config' ? n : { ...n, z: tab }))];
}

/** A complete node (fires on done() without error) wired to a helper node. */
export function completeFlow(id = 'completer', outId = 'completed', scope: string[] | null = null): object[] {
  return [
    { id, type: 'complete', scope, uncaught: false, wires: [[outId]] },
    { id: outId, type: 'helper' },
  ];
}

/** A catch node wired to a helper node: flow fragment + ids. */
export function catchFlow(catchId = 'catcher', outId = 'caught', scope: string[] | null = null): object[] {
  return [
    { id: catchId, type: 'catch', scope, uncaught: false, wires: [[outId]] },
    { id: outId, type: 'helper' },
  ];
}
