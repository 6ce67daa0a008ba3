/**
 * Parsing of settings typed into editor dialogs (strings) into checked values. Every
 * failure names the setting and what was expected.
 */
import { parseEther } from 'ethers';
import { ConfigError, TaskArgsError } from '../../lib/errors';
import type { Status } from './status';

/** CNX amount (decimal text, up to 18 decimals) → wei. `field` names it in the error. */
export function parseCnx(text: unknown, field: string, ErrorType: 'config' | 'input' = 'input'): bigint {
  const s = typeof text === 'number' && Number.isFinite(text) ? String(text) : typeof text === 'string' ? text.trim() : '';
  const fail = (): never => {
    const message = `${field} must be an amount of CNX such as 0.5 (a non-negative decimal number, at most 18 decimals)`;
    throw ErrorType === 'config' ? new ConfigError(message) : new TaskArgsError(message, [{ path: field, message: 'must be a CNX amount' }]);
  };
  if (!/^[0-9]+(\.[0-9]{1,18})?$/.test(s) && !/^\.[0-9]{1,18}$/.test(s)) return fail();
  try {
    return parseEther(s.startsWith('.') ? `0${s}` : s);
  } catch {
    return fail();
  }
}

/** Whole number within [min, max]; empty text gives `fallback` when one is provided. */
export function parseWhole(text: unknown, field: string, min: number, max: number, fallback?: number): number {
  if ((text === '' || text === undefined || text === null) && fallback !== undefined) return fallback;
  const n = typeof text === 'number' ? text : typeof text === 'string' && /^\s*-?[0-9]+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    // "from 1 to 9007199254740991" means nothing to a user: an open range says "at least".
    const range = max >= Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`${field} must be a whole number ${range}`);
  }
  return n;
}

/** Longest timer Node.js keeps: a longer setTimeout fires after 1 ms instead (~24.8 days). */
export const MAX_SECONDS = Math.floor(0x7fffffff / 1000);

/** What a timeout in seconds must be, for settings and msg overrides alike. */
export const SECONDS_EXPECTED = `a number of seconds greater than 0 and at most ${MAX_SECONDS} (24 days)`;

/** Seconds (a number or numeric text) → milliseconds; undefined unless `> 0` and at most MAX_SECONDS. */
export function secondsToMs(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v.trim()) : NaN;
  return Number.isFinite(n) && n > 0 && n <= MAX_SECONDS ? Math.max(1, Math.round(n * 1000)) : undefined;
}

/** Seconds (as typed in a dialog) → milliseconds; `> 0` and at most MAX_SECONDS. */
export function parseSeconds(text: unknown, field: string, fallbackSeconds: number): number {
  if (text === '' || text === undefined || text === null) return fallbackSeconds * 1000;
  const ms = secondsToMs(text);
  if (ms === undefined) throw new ConfigError(`${field} must be ${SECONDS_EXPECTED}`);
  return ms;
}

/**
 * A dialog setting parsed once, when the node is deployed. A bad value shows a red ring at once
 * and is logged, and every msg then fails with that error (done(err), so Catch nodes see which
 * setting is wrong) instead of the node running silently with a default.
 */
export function deploySetting<T>(parse: () => T, status: Status, node: { error(msg: unknown): void }): () => T {
  try {
    const value = parse();
    return () => value;
  } catch (err) {
    status.error(err);
    node.error((err as Error).message);
    return () => {
      throw err;
    };
  }
}
