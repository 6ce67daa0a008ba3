/**
 * A KeyValueStore (lib/client-types) over a node's Node-RED context, so pending tasks and
 * the block cursor survive a restart when the user configures a persistent context store
 * (e.g. `localfilesystem`).
 *
 * Without a configured store Node-RED deletes a node's context when the node stops, which
 * would also forget in-flight transactions on every redeploy. So every value is mirrored in
 * process memory under the node's id (`carryOverFor`): a redeployed node with the same id
 * finds it there. The context wins when it has a value (a restart with a persistent store).
 */
import type { KeyValueStore } from '../../lib/client-types';
import type { NodeContextStore } from './red-types';

const carried = new Map<string, Map<string, unknown>>();

/** The in-memory mirror of one node's values; survives redeploys within this process. */
export function carryOverFor(nodeId: string): Map<string, unknown> {
  let m = carried.get(nodeId);
  if (!m) carried.set(nodeId, (m = new Map()));
  return m;
}

/** Drops the mirror of a node that was removed from the flows (not just redeployed). */
export function forgetCarryOver(nodeId: string): void {
  carried.delete(nodeId);
}

export function contextStore(
  context: NodeContextStore,
  storeName?: string,
  prefix = 'crynux:',
  mirror?: Map<string, unknown>,
): KeyValueStore {
  const store = storeName ? storeName : undefined;
  return {
    get: (key) =>
      new Promise((resolve, reject) => {
        context.get(prefix + key, store, (err, value) => {
          if (err) reject(err);
          else resolve(value === undefined ? mirror?.get(key) : value);
        });
      }),
    set: (key, value) =>
      new Promise((resolve, reject) => {
        if (mirror) {
          if (value === undefined) mirror.delete(key);
          else mirror.set(key, value);
        }
        context.set(prefix + key, value, store, (err) => (err ? reject(err) : resolve()));
      }),
  };
}
