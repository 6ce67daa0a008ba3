/**
 * What a crynux-config node offers the step nodes. Step nodes never build providers,
 * relays or timers themselves: they ask the config node for its one started CrynuxClient.
 */
import { ConfigError } from '../../lib/errors';
import type { CrynuxClient } from '../../lib/client';
import type { Node, NodeAPI } from './red-types';
import type { Status } from './status';
import { sharedKey } from './i18n';

export const CONFIG_TYPE = 'crynux-config';

export interface CrynuxConfigNode extends Node {
  /**
   * The started client (start() checks the chain id and key). Lazy and shared: the first
   * call starts it, later calls get the same promise. Rejects with ConfigError for a bad
   * key or a chain id mismatch, ChainConnectionError when no RPC answers (a later call
   * retries the start).
   */
  getClient(): Promise<CrynuxClient>;
  /** The wallet address derived from the key; undefined when the key is missing/invalid. */
  readonly address: string | undefined;
  /** Why this config cannot work (bad key, bad URL…), found at deploy; undefined when fine. */
  readonly problem: ConfigError | undefined;
  /** Balance below which crynux-wallet fires its alert output (wei). */
  readonly lowBalanceWei: bigint;
}

/** The config node chosen in a step node's `crynux` setting, or a ConfigError saying what is wrong. */
export function getConfigNode(RED: NodeAPI, configId: unknown): CrynuxConfigNode {
  const node = typeof configId === 'string' && configId ? RED.nodes.getNode(configId) : null;
  if (!node) throw new ConfigError('No Crynux network is selected: choose a crynux-config node in the "Network" setting');
  if (node.type !== CONFIG_TYPE || typeof (node as Partial<CrynuxConfigNode>).getClient !== 'function') {
    throw new ConfigError(`The "Network" setting must point at a ${CONFIG_TYPE} node (got ${node.type})`);
  }
  return node as CrynuxConfigNode;
}

/**
 * For a step node's constructor: a red ring at deploy when no usable config is selected
 * (the error itself is raised again, per msg, by getConfigNode inside the work).
 */
export function showConfigProblem(RED: NodeAPI, configId: unknown, status: Status): void {
  try {
    const problem = getConfigNode(RED, configId).problem;
    if (problem) status.error(problem);
  } catch (err) {
    status.error(err);
  }
}

/**
 * For nodes that wait on the chain: shows the client's RPC problems (ClientHealth.lastError)
 * in the node's status while msgs are in flight, and clears them on recovery. Returns the
 * function that stops following (call it on close). Nothing happens when the config is unusable.
 */
export function followNetworkHealth(RED: NodeAPI, configId: unknown, status: Status, t: (key: string, params?: Record<string, unknown>) => string): () => void {
  let stopped = false;
  let unsubscribe = (): void => undefined;
  let network: CrynuxConfigNode;
  try {
    network = getConfigNode(RED, configId);
  } catch {
    return () => undefined;
  }
  if (network.problem) return () => undefined;
  network.getClient().then(
    (client) => {
      if (stopped) return;
      const onHealth = (h: { lastError?: string }) =>
        status.setProblem(h.lastError ? t(sharedKey('status.rpcProblem'), { reason: h.lastError.slice(0, 60) }) : undefined);
      client.on('health', onHealth);
      unsubscribe = () => client.off('health', onHealth);
      onHealth(client.health());
    },
    () => undefined, // a failed start is reported per msg by getClient() in the work itself
  );
  return () => {
    stopped = true;
    unsubscribe();
  };
}
