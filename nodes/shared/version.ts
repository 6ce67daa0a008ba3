/**
 * Every node stores `version` in its saved config (defaults in its .html). When a later
 * release changes a node's settings, add a migration here: flows saved by older releases
 * are upgraded when the node is constructed, and the editor's defaults carry the new number.
 */
export const CONFIG_VERSION = 1;

type Migration = (config: Record<string, unknown>) => Record<string, unknown>;

/** migrations[type][n] upgrades a config of version n to n + 1. */
const migrations: Record<string, Record<number, Migration>> = {};

/** Brings a saved node config up to CONFIG_VERSION (version 0 = saved before versions existed). */
export function migrateConfig<T extends Record<string, unknown>>(type: string, config: T): T & { version: number } {
  let out: Record<string, unknown> = { ...config };
  let v = typeof out.version === 'number' ? out.version : Number(out.version) || 0;
  if (v === 0) v = 1; // version 1 is the first shape; nothing to change
  while (v < CONFIG_VERSION) {
    const step = migrations[type]?.[v];
    if (step) out = step(out);
    v += 1;
  }
  return { ...(out as T), version: v };
}
