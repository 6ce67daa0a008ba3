/**
 * The few Node-RED runtime shapes our nodes use. Node-RED ships no types of its own and
 * @types/node-red is not a dependency, so we describe only what we call.
 */

export interface NodeMessage {
  _msgid?: string;
  payload?: unknown;
  topic?: string;
  [key: string]: unknown;
}

/** What `send` accepts: one msg, or one entry per output (null = nothing on that output). */
export type SendArg = NodeMessage | Array<NodeMessage | NodeMessage[] | null> | null;
export type SendFn = (msg: SendArg) => void;
export type DoneFn = (err?: Error) => void;

export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export interface NodeContextStore {
  get(key: string, store: string | undefined, cb: (err: Error | null, value: unknown) => void): void;
  set(key: string, value: unknown, store: string | undefined, cb: (err?: Error | null) => void): void;
}

export interface NodeContext extends NodeContextStore {
  flow: NodeContextStore;
  global: NodeContextStore;
}

/** The properties every node definition carries from the editor. */
export interface NodeDef {
  id: string;
  type: string;
  name?: string;
  z?: string;
  [key: string]: unknown;
}

export interface Node {
  id: string;
  type: string;
  name?: string;
  z?: string;
  credentials?: Record<string, string | undefined>;
  status(status: NodeStatus): void;
  send(msg: SendArg): void;
  log(msg: unknown): void;
  warn(msg: unknown): void;
  debug(msg: unknown): void;
  trace(msg: unknown): void;
  error(err: unknown, msg?: NodeMessage): void;
  context(): NodeContext;
  on(event: 'input', handler: (msg: NodeMessage, send: SendFn, done: DoneFn) => void): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  on(event: string, handler: (...args: any[]) => void): void;
}

/** Minimal express-like request/response used by the admin endpoints. */
export interface AdminRequest {
  params: Record<string, string>;
  body?: unknown;
  query?: Record<string, unknown>;
}
export interface AdminResponse {
  status(code: number): AdminResponse;
  json(body: unknown): void;
  send(body?: unknown): void;
}
export type AdminHandler = (req: AdminRequest, res: AdminResponse, next?: () => void) => void;

export interface NodeAPI {
  nodes: {
    createNode(node: object, def: NodeDef): void;
    getNode(id: string): Node | null;
    registerType(type: string, ctor: Function, opts?: { credentials?: Record<string, { type: 'text' | 'password' }> }): void;
    getCredentials?(id: string): Record<string, string> | undefined;
  };
  /** i18n lookup in this node set's catalog (`ns:key` for another catalog). */
  _: (key: string, params?: Record<string, unknown>) => string;
  httpAdmin: {
    get(path: string, ...handlers: AdminHandler[]): void;
    post(path: string, ...handlers: AdminHandler[]): void;
  };
  auth: { needsPermission(permission: string): AdminHandler };
  log: { debug(m: string): void; info(m: string): void; warn(m: string): void; error(m: string): void };
  settings: Record<string, unknown>;
  util: { cloneMessage<T>(msg: T): T; generateId(): string };
}
