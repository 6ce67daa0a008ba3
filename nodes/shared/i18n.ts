/**
 * i18n helpers. `RED._` looks keys up in the calling node set's own catalog
 * (`nodes/locales/en-US/<type>.json`). Strings every node shares (error labels, generic
 * phases) live once, in the config node's catalog under `shared.*`, and are addressed with
 * an explicit namespace: Node-RED passes `ns:key` through unchanged. The namespace is
 * `<package name>/<set name in package.json node-red.nodes>`.
 */
export type Translate = (key: string, params?: Record<string, unknown>) => string;

export const PACKAGE_NAME = '@crynux-red/node-red-crynux';
export const SHARED_NS = `${PACKAGE_NAME}/crynux-config`;

/** `shared.<key>` in the config node's catalog, usable from any node's `RED._`. */
export function sharedKey(key: string): string {
  return `${SHARED_NS}:shared.${key}`;
}
