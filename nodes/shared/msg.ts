/**
 * `msg.crynux`: the one object every step reads from and adds to (ARCHITECTURE.md, "msg
 * contract"). Reads are validated field by field so a bad value fails with a message that
 * names `msg.crynux.<field>` and says what was expected.
 */
import { TaskArgsError } from '../../lib/errors';
import type { NodeMessage } from './red-types';
import { SECONDS_EXPECTED, secondsToMs } from './values';

export interface CrynuxFields {
  // build-task
  taskType?: 0 | 1;
  taskArgs?: string;
  taskHash?: string;
  vramLimit?: number;
  cap?: number;
  // create-task
  taskFee?: string;
  txHash?: string;
  blockNumber?: number;
  taskId?: string;
  creator?: string;
  // upload-params
  uploadedAt?: string;
  // await-result
  status?: 'success' | 'aborted';
  resultNode?: string;
  result?: string;
  abortReason?: string;
  // fetch-result
  files?: Buffer[];
  response?: unknown;
  // retry loop
  attempt?: number;
  [key: string]: unknown;
}

export type CrynuxMsg = NodeMessage & { crynux?: CrynuxFields };

interface FieldRule {
  expected: string;
  /** Returns the normalised value, or undefined when invalid. */
  check(v: unknown): unknown;
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

const wholeNumber = (min: number) => (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= min ? v : undefined);
const decimalString = (min: bigint) => (v: unknown) => {
  const s = typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v)) ? String(v) : v;
  return typeof s === 'string' && /^[0-9]+$/.test(s) && BigInt(s) >= min ? BigInt(s).toString(10) : undefined;
};
const matching = (re: RegExp) => (v: unknown) => (typeof v === 'string' && re.test(v) ? v : undefined);

/** The rules for fields a step may read; each says in plain words what is expected. */
export const FIELD_RULES: Record<string, FieldRule> = {
  taskType: { expected: '0 (Stable Diffusion) or 1 (GPT)', check: (v) => (v === 0 || v === 1 ? v : undefined) },
  taskArgs: {
    expected: 'the task arguments as a non-empty JSON string (from crynux-build-task)',
    check: (v) => (typeof v === 'string' && v.length > 0 ? v : undefined),
  },
  taskHash: { expected: 'a 0x-prefixed 32-byte hex string', check: matching(HEX32) },
  vramLimit: { expected: 'a whole number of GB, at least 1', check: wholeNumber(1) },
  cap: { expected: 'a whole number, at least 1 (SD: number of images; GPT: 1)', check: wholeNumber(1) },
  taskFee: { expected: 'a fee in wei as a decimal string', check: decimalString(0n) },
  txHash: { expected: 'a 0x-prefixed 32-byte transaction hash', check: matching(HEX32) },
  blockNumber: { expected: 'a block number (whole number ≥ 0)', check: wholeNumber(0) },
  taskId: { expected: 'a task id: a positive whole number as a decimal string', check: decimalString(1n) },
  creator: { expected: 'a 0x-prefixed 20-byte address', check: matching(ADDRESS) },
  result: { expected: 'a 0x-prefixed hex string', check: matching(/^0x([0-9a-fA-F]{2})*$/) },
  attempt: { expected: 'a whole number ≥ 0', check: wholeNumber(0) },
};

/** `msg.crynux`, created when absent; a non-object there is an error naming the field. */
export function crynuxOf(msg: NodeMessage): CrynuxFields {
  const c = msg.crynux;
  if (c === undefined || c === null) {
    const fresh: CrynuxFields = {};
    msg.crynux = fresh;
    return fresh;
  }
  if (typeof c !== 'object' || Array.isArray(c)) {
    throw new TaskArgsError('msg.crynux must be an object (the fields set by the Crynux nodes)', [
      { path: 'msg.crynux', message: 'must be an object' },
    ]);
  }
  return c as CrynuxFields;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return String(v); // JSON would say null for NaN and Infinity
  try {
    const s = JSON.stringify(v);
    return s === undefined ? typeof v : s.length > 40 ? `${s.slice(0, 40)}…` : s;
  } catch {
    return typeof v;
  }
}

/**
 * Reads and validates `msg.crynux[name]`. Missing → error telling which node sets it
 * (`setBy`); present but invalid → error naming the field and the expected form.
 */
export function requireField<T = unknown>(msg: NodeMessage, name: string, setBy?: string): T {
  const v = crynuxOf(msg)[name];
  const rule = FIELD_RULES[name];
  if (v === undefined || v === null) {
    const hint = setBy ? ` (set by ${setBy})` : '';
    throw new TaskArgsError(`msg.crynux.${name} is missing${hint}; expected ${rule?.expected ?? 'a value'}`, [
      { path: `msg.crynux.${name}`, message: 'is required' },
    ]);
  }
  return checkField<T>(name, v);
}

/** Like requireField, but undefined when the field is absent. */
export function optionalField<T = unknown>(msg: NodeMessage, name: string): T | undefined {
  const v = crynuxOf(msg)[name];
  return v === undefined || v === null ? undefined : checkField<T>(name, v);
}

function checkField<T>(name: string, v: unknown): T {
  const rule = FIELD_RULES[name];
  if (!rule) return v as T;
  const out = rule.check(v);
  if (out === undefined) {
    throw new TaskArgsError(`msg.crynux.${name} must be ${rule.expected} (got ${describe(v)})`, [
      { path: `msg.crynux.${name}`, message: `must be ${rule.expected}` },
    ]);
  }
  return out as T;
}

/** Merges `fields` into `msg.crynux` (keeping what earlier steps set) and returns msg. */
export function setCrynux<M extends NodeMessage>(msg: M, fields: Partial<CrynuxFields>): M {
  Object.assign(crynuxOf(msg), fields);
  return msg;
}

/**
 * The timeout for this msg in ms: `msg.timeout` (seconds, a number or numeric string) when
 * set, else the node's setting, as core's http request node does with msg.requestTimeout.
 * A top-level property, not under msg.crynux: it is the user's input, not a step's output.
 */
export function timeoutFor(msg: NodeMessage, settingMs: number): number {
  const v = msg.timeout;
  if (v === undefined || v === null) return settingMs;
  const ms = secondsToMs(v);
  if (ms === undefined) {
    throw new TaskArgsError(`msg.timeout must be ${SECONDS_EXPECTED}, got ${describe(v)}`, [
      { path: 'msg.timeout', message: `must be ${SECONDS_EXPECTED}` },
    ]);
  }
  return ms;
}
