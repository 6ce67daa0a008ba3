/**
 * Turns the importable examples into one deployable flow set for the demo runtime: a tab
 * per example and a single crynux-config node pointing at the running devnet. The key goes
 * in the config node's `credentials`, which Node-RED stores encrypted and never exports.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  [key: string]: unknown;
}

export interface DemoNetwork {
  rpcUrl: string;
  chainId: number;
  taskAddress: string;
  taskQueueAddress: string;
  relayUrl: string;
  privateKey: string;
}

export const DEMO_CONFIG_ID = 'crynux-demo-devnet';

/** Where a devnet is, as a crynux-config node needs it. */
export type DevnetTarget = Omit<DemoNetwork, 'privateKey'>;

/**
 * A crynux-config node for a devnet as its dialog saves it, without the key (a credential,
 * given apart). `fields` sets the id and anything else; the demo and the tests both use it.
 */
export function devnetConfigNode(net: DevnetTarget, fields: { id: string } & Record<string, unknown>): FlowNode {
  return {
    type: 'crynux-config',
    version: 1,
    network: 'custom',
    rpcUrls: net.rpcUrl,
    chainId: String(net.chainId),
    taskAddress: net.taskAddress,
    taskQueueAddress: net.taskQueueAddress,
    relayUrl: net.relayUrl,
    gasPriceMode: 'auto',
    gasPrice: '',
    gasLimitMode: 'fixed',
    gasLimit: '5000000',
    confirmations: '1',
    ...fields,
  };
}

export function readExamples(dir: string): { name: string; nodes: FlowNode[] }[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: path.basename(f, '.json'), nodes: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as FlowNode[] }));
}

/** Replaces every reference to one of `from` ids (in any property, arrays included) with `to`. */
function retarget(value: unknown, from: Set<string>, to: string): unknown {
  if (typeof value === 'string') return from.has(value) ? to : value;
  if (Array.isArray(value)) return value.map((v) => retarget(v, from, to));
  return value;
}

export function buildDemoFlows(examples: { name: string; nodes: FlowNode[] }[], net: DemoNetwork): FlowNode[] {
  const out: FlowNode[] = [];
  const seen = new Set<string>();
  for (const { name, nodes } of examples) {
    const tab = nodes.find((n) => n.type === 'tab');
    const tabId = tab?.id ?? `demo-tab-${name}`;
    if (!tab) out.push({ id: tabId, type: 'tab', label: name.replace(/[-_]/g, ' '), disabled: false, info: '' });
    const configIds = new Set(nodes.filter((n) => n.type === 'crynux-config').map((n) => n.id));
    for (const n of nodes) {
      if (n.type === 'crynux-config') continue;
      if (seen.has(n.id)) throw new Error(`examples: node id ${n.id} appears in more than one example (${name})`);
      seen.add(n.id);
      const copy: FlowNode = { ...n };
      for (const [k, v] of Object.entries(copy)) if (k !== 'id' && k !== 'z') copy[k] = retarget(v, configIds, DEMO_CONFIG_ID);
      if (n.type !== 'tab' && (n.z === undefined || n.z === '' || !nodes.some((t) => t.id === n.z))) copy.z = tabId;
      out.push(copy);
    }
  }
  out.push({
    ...devnetConfigNode(net, { id: DEMO_CONFIG_ID, name: 'Local devnet (demo)', network: 'devnet', pollInterval: '1', lowBalance: '10' }),
    credentials: { privateKey: net.privateKey },
  });
  return out;
}
