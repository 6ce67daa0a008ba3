/**
 * The relay's unsigned network extras (SPEC §4.2): counts derived from the relay's own
 * index, plus the Node contract's available list when its address is known. The 2024
 * response shapes are not specified; these are the devnet's own (devnet/README.md).
 */
import { Interface } from 'ethers';
import { rpc } from './rpc';
import { RelayStatus, type TaskStore } from './store';

const nodeViews = new Interface([
  'function getAvailableNodes() view returns (address[])',
  'function getNodeStatus(address) view returns (uint256)',
]);

export interface NetworkSource {
  store: TaskStore;
  rpcUrl: string;
  nodeAddress?: string;
}

async function call(src: NetworkSource, fn: string, args: unknown[]): Promise<unknown[]> {
  const data = nodeViews.encodeFunctionData(fn, args);
  const out = await rpc<string>(src.rpcUrl, 'eth_call', [{ to: src.nodeAddress, data }, 'latest']);
  return [...nodeViews.decodeFunctionResult(fn, out)];
}

function taskCounts(store: TaskStore) {
  const tasks = store.all();
  const running = tasks.filter(
    (t) => t.nodes.length === 3 && (t.status === RelayStatus.Pending || t.status === RelayStatus.ArgsUploaded || t.status === RelayStatus.Success),
  );
  const queued = tasks.filter((t) => t.nodes.length === 0 && (t.status === RelayStatus.Pending || t.status === RelayStatus.ArgsUploaded));
  return { total_tasks: tasks.length, running_tasks: running.length, queued_tasks: queued.length, busyNodes: new Set(running.flatMap((t) => t.nodes.map((n) => n.address))) };
}

/** Every node address the relay knows of: selected in some task, or available now. */
async function knownNodes(src: NetworkSource): Promise<{ address: string; status: number }[]> {
  const seen = new Set(src.store.all().flatMap((t) => t.nodes.map((n) => n.address)));
  if (src.nodeAddress) {
    const [available] = (await call(src, 'getAvailableNodes', [])) as [string[]];
    for (const a of available) seen.add(a);
    const out: { address: string; status: number }[] = [];
    for (const address of seen) {
      const [status] = (await call(src, 'getNodeStatus', [address])) as [bigint];
      out.push({ address, status: Number(status) });
    }
    return out;
  }
  return [...seen].map((address) => ({ address, status: -1 }));
}

export async function nodesNumber(src: NetworkSource) {
  const nodes = await knownNodes(src);
  const { busyNodes } = taskCounts(src.store);
  const active = src.nodeAddress ? nodes.filter((n) => n.status === 1 || n.status === 2).length : nodes.length;
  return { all_nodes: nodes.length, busy_nodes: busyNodes.size, active_nodes: active };
}

export function tasksNumber(src: NetworkSource) {
  const { total_tasks, running_tasks, queued_tasks } = taskCounts(src.store);
  return { total_tasks, running_tasks, queued_tasks };
}

export async function nodesData(src: NetworkSource, start: number, total: number) {
  const nodes = await knownNodes(src);
  return nodes.slice(start, start + total).map((n) => ({ address: n.address, status: n.status }));
}

export async function networkSummary(src: NetworkSource) {
  return { ...(await nodesNumber(src)), ...tasksNumber(src) };
}
