/**
 * Running the flows of examples/ as a user would import them: placed on a tab by the editor,
 * the config node pointed at a devnet (RPC, relay, contract addresses, a shorter poll
 * interval) and given the devnet key, nothing else changed. A helper node is wired beside
 * every debug node to see what a user would see in the sidebar.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startDevnet, type Devnet, type StartDevnetOptions } from '../../devnet';
import { forgetCarryOver } from '../../nodes/shared';
import { nodeRedDir } from '../helpers/node-red';
import { helper, nodeModule, repoRoot } from '../nodes/node-helpers';

export type FlowNode = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const EXAMPLES = path.join(repoRoot(), 'examples');
export const CRYNUX_TYPES = [
  'crynux-config', 'crynux-build-task', 'crynux-create-task', 'crynux-upload-params',
  'crynux-await-result', 'crynux-fetch-result', 'crynux-wallet',
];
/** Where `npm run devnet` deploys the Task contract: the deployer's third transaction on a fresh anvil. */
export const DEVNET_TASK_ADDRESS = '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0';

/** A core node of the Node-RED under test (the Node-RED 5 job points elsewhere). */
function coreModule(rel: string): (RED: unknown) => void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(require.resolve(`@node-red/nodes/core/${rel}`, { paths: [nodeRedDir()] }));
}

const CORE = ['common/20-inject.js', 'common/21-debug.js', 'common/90-comment.js', 'function/10-function.js', 'function/15-change.js', 'storage/10-file.js'];

export function exampleModules(): Array<(RED: unknown) => void> {
  return [...CRYNUX_TYPES.map(nodeModule), ...CORE.map(coreModule)];
}

export function readExample(file: string): FlowNode[] {
  return JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as FlowNode[];
}

export interface ImportedExample {
  flow: FlowNode[];
  credentials: Record<string, { privateKey: string }>;
  /** Messages that reached each debug node, by the debug node's name. */
  seen: Record<string, FlowNode[]>;
  byName(name: string, type?: string): FlowNode;
}

/** The example as imported, with its config node aimed at `devnet` and a probe beside every debug node. */
export function importForDevnet(file: string, devnet: Devnet, configOverrides: Record<string, string> = {}): ImportedExample {
  // The editor imports a flow into the current tab: nodes placed on the canvas get its id as `z`.
  const tab = { id: `tab-${file}`, type: 'tab', label: file };
  const flow = readExample(file).map((n) => ('x' in n && 'y' in n ? { ...n, z: tab.id } : n));
  flow.unshift(tab);
  const credentials: ImportedExample['credentials'] = {};
  for (const cfg of flow.filter((n) => n.type === 'crynux-config')) {
    Object.assign(cfg, {
      rpcUrls: devnet.rpcUrl, relayUrl: devnet.relayUrl, taskAddress: devnet.taskAddress,
      taskQueueAddress: devnet.taskQueueAddress, pollInterval: '0.2', ...configOverrides,
    });
    credentials[cfg.id] = { privateKey: devnet.appPrivateKey };
  }
  const seen: ImportedExample['seen'] = {};
  for (const dbg of flow.filter((n) => n.type === 'debug')) {
    const probe = `probe-${dbg.id}`;
    seen[dbg.name] = [];
    for (const n of flow) for (const port of n.wires ?? []) if (port.includes(dbg.id)) port.push(probe);
    flow.push({ id: probe, type: 'helper', name: dbg.name, z: tab.id, x: 0, y: 0, wires: [] });
  }
  const byName = (name: string, type?: string) => {
    const n = flow.find((x) => x.name === name && (!type || x.type === type));
    if (!n) throw new Error(`${file}: no node named "${name}"`);
    return n;
  };
  return { flow, credentials, seen, byName };
}

/** Deploys the imported example; resolves once its flows run. */
export async function deploy(ex: ImportedExample): Promise<void> {
  await helper.load(exampleModules(), ex.flow, ex.credentials);
  for (const n of ex.flow.filter((x) => x.type === 'helper')) {
    helper.getNode(n.id).on('input', (m: FlowNode) => ex.seen[n.name].push(m));
  }
}

/** What clicking the inject node's button does. */
export function clickInject(ex: ImportedExample, injectName: string): void {
  helper.getNode(ex.byName(injectName, 'inject').id).receive({});
}

/** Error texts that reached the example's catch → "error" debug node. */
export function errorsOf(ex: ImportedExample): string[] {
  return (ex.seen.error ?? []).map((m) => String(m.error?.message));
}

/**
 * Mocha hooks for one devnet (and the helper's server) per describe block; `settings` are
 * Node-RED settings for the helper. Returns a getter for the running devnet.
 */
export function useDevnet(options: StartDevnetOptions = {}, settings?: Record<string, unknown>): () => Devnet {
  let devnet: Devnet | undefined;
  before(async () => {
    devnet = await startDevnet({ workers: 3, ...options });
    if (settings) helper.settings(settings);
    await helper.startServer();
  });
  after(async () => {
    if (settings) helper.settings({});
    await helper.stopServer();
    await devnet?.stop();
  });
  afterEach(async () => {
    await helper.unload();
    // The examples share one config id, whose store a redeploy carries over in memory: what it
    // recorded about this devnet's tasks must not meet the next test file's fresh devnet.
    for (const id of exampleConfigIds()) forgetCarryOver(id);
  });
  return () => {
    if (!devnet) throw new Error('the devnet is not started');
    return devnet;
  };
}

/** Ids of the crynux-config nodes the examples carry. */
function exampleConfigIds(): string[] {
  return fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))
    .flatMap((f) => readExample(f).filter((n) => n.type === 'crynux-config').map((n) => n.id));
}
