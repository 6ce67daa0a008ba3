/**
 * JSON-safe copies of msgs, so a msg can wait in any context store across a restart
 * (crynux-await-result's pending msgs, crynux-create-task's jobs) and come back intact.
 */
import type { NodeMessage } from './red-types';

/** Properties that only make sense inside the running process (http in/response objects). */
const PROCESS_ONLY = new Set(['req', 'res']);

/**
 * A copy of the msg that any context store can hold: functions, `req`/`res` and circular
 * references are dropped, bigints become decimal strings, Buffers become
 * `{type:'Buffer',data}` (as JSON.stringify writes them; reviveMsg turns them back).
 */
export function snapshotMsg(msg: NodeMessage): Record<string, unknown> {
  const top: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) if (!PROCESS_ONLY.has(k)) top[k] = v;
  return jsonSafe(top, []) as Record<string, unknown>;
}

function jsonSafe(v: unknown, ancestors: object[]): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (!v || typeof v !== 'object') return v;
  if (ancestors.includes(v)) return undefined;
  const withJson = v as { toJSON?: () => unknown };
  if (typeof withJson.toJSON === 'function') return jsonSafe(withJson.toJSON(), ancestors);
  const inner = [...ancestors, v];
  if (Array.isArray(v)) return v.map((x) => jsonSafe(x, inner) ?? null);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const y = jsonSafe(x, inner);
    if (y !== undefined) out[k] = y;
  }
  return out;
}

/** The msg back from a snapshot, with Buffers restored. */
export function reviveMsg(snapshot: Record<string, unknown>): NodeMessage {
  return revive(structuredClone(snapshot)) as NodeMessage;
}

function revive(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revive);
  if (!v || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if (o.type === 'Buffer' && Array.isArray(o.data) && Object.keys(o).length === 2) return Buffer.from(o.data as number[]);
  for (const k of Object.keys(o)) o[k] = revive(o[k]);
  return o;
}
