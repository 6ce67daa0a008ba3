/**
 * One mapping from the library's named errors to what a node shows: a short status
 * reason (red ring) and the Error handed to done(err) so Catch nodes fire.
 */
import { CrynuxError, ChainRevertError, ConfigError, RelayRejectedError, TaskArgsError } from '../../lib/errors';
import { sharedKey, type Translate } from './i18n';

/** Status lines are short; the full text is in the error the Catch node gets. */
const DETAIL_MAX = 40;

// Private keys registered by config nodes; scrubbed from anything we surface. The lib never
// puts a key in a message, this is a second line of defence for foreign errors (e.g. ethers).
const secrets = new Set<string>();

export function registerSecret(hex: string): () => void {
  const bare = hex.replace(/^0x/i, '').toLowerCase();
  if (bare.length < 32) return () => undefined;
  secrets.add(bare);
  return () => secrets.delete(bare);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) {
    out = out.replace(new RegExp(`(0x)?${s}`, 'gi'), '[redacted]');
  }
  return out;
}

/** The Error given to done(err): the original (keeps `code`, `reason`, …) unless it needs scrubbing. */
export function toNodeError(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const clean = redact(e.message);
  if (clean === e.message) return e;
  const copy = new Error(clean) as Error & { code?: string };
  copy.name = e.name;
  if (e instanceof CrynuxError) copy.code = e.code;
  return copy;
}

/** The error's short code ('TASK_ARGS', 'CHAIN_REVERT', … or 'UNKNOWN'). */
export function errorCode(err: unknown): string {
  return err instanceof CrynuxError ? err.code : 'UNKNOWN';
}

/** Status text for a red ring: a translated label plus the most telling detail. */
export function shortReason(err: unknown, t: Translate): string {
  const label = t(sharedKey(`errors.${errorCode(err)}`));
  let detail = '';
  if (err instanceof ChainRevertError) detail = err.reason;
  else if (err instanceof RelayRejectedError) detail = err.relayMessage;
  else if (err instanceof TaskArgsError) detail = err.issues[0]?.path ?? firstLine(err.message);
  // A config problem says which setting; an unknown error has nothing better than its text.
  else if (err instanceof ConfigError || !(err instanceof CrynuxError)) detail = firstLine(err instanceof Error ? err.message : String(err));
  if (!detail) return label;
  const d = redact(detail);
  return `${label}: ${d.length > DETAIL_MAX ? `${d.slice(0, DETAIL_MAX - 1)}…` : d}`;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? '';
}
