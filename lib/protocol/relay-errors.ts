/**
 * Classification of relay answers (SPEC §4.1, §4.6). Business errors come back as HTTP 400
 * with `{"message":"validation_error","data":{"field_name","message"}}`, so we match on the
 * inner message text, keeping the relay's own words for the user.
 */

import { describeFetchError } from '../fetch-error';

export type RelayAnswerKind = 'success' | 'transient' | 'done' | 'fatal';

export interface RelayAnswerClass {
  kind: RelayAnswerKind;
  /** The relay's own message (or the network error's), for logs and errors. */
  message: string;
  /** `field_name` of a validation error, when present. */
  field?: string;
  /** HTTP status; 0 for network errors. */
  status: number;
  /** "Invalid signature": re-sync the clock with /v1/now, re-sign and retry once (SPEC §4.6). */
  resyncClock?: boolean;
}

const TRANSIENT_MESSAGES = new Set([
  'Task not found on the Blockchain',
  'Task not found',
  'Task not ready',
  'Task results not uploaded',
]);

const DONE_MESSAGES = new Set(['Task already uploaded']);

/** What a user should do about a fatal relay message. */
export const RELAY_MESSAGE_HINTS: Record<string, string> = {
  'Task hash mismatch': 'the uploaded arguments differ from the ones hashed for createTask; never re-serialise msg.crynux.taskArgs',
  'Signer not allowed': 'the wallet signing the request is not the task creator (or the request was signed over different bytes)',
  'Invalid signature': 'the request signature or its timestamp was refused; check the machine clock',
  'File not found': 'the relay has no result file with that index',
  'Wrong images uploaded': 'the uploaded files do not match the on-chain result',
  'Task not success': 'the task has not succeeded (or its results were already uploaded)',
};

/** Extracts `{message, field}` from a relay JSON envelope, tolerating plain-text bodies. */
export function relayMessageOf(body: unknown): { message: string; field?: string } {
  if (body && typeof body === 'object') {
    const b = body as { message?: unknown; data?: unknown };
    const data = b.data as { field_name?: unknown; message?: unknown } | null | undefined;
    if (b.message === 'validation_error' && data && typeof data === 'object' && typeof data.message === 'string') {
      return { message: data.message, field: typeof data.field_name === 'string' ? data.field_name : undefined };
    }
    if (typeof b.message === 'string') return { message: b.message };
  }
  if (typeof body === 'string') return { message: body.trim() };
  return { message: '' };
}

function isEnvelope(body: unknown): boolean {
  return Boolean(body) && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string';
}

/**
 * An answer that is not the relay's JSON envelope (SPEC §4.1): an HTML error page of a proxy,
 * a wrong URL, plain text. Says so, with a short tag-free excerpt, never the whole page.
 */
export function foreignAnswerMessage(status: number, body: unknown, path?: string): string {
  const text = (typeof body === 'string' ? body : JSON.stringify(body) ?? '')
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const where = path ? ` from ${path.split('?')[0]}` : '';
  if (!text) return `HTTP ${status}${where} with an empty body`;
  return `HTTP ${status}${where}: not a Crynux relay answer (${text.length > 80 ? `${text.slice(0, 79)}…` : text})`;
}

/**
 * Classifies an HTTP answer of the relay. `body` is the parsed JSON, or the text when not JSON;
 * `path` (without the query) names the request in messages about foreign answers.
 */
export function classifyRelayAnswer(status: number, body: unknown, path?: string): RelayAnswerClass {
  const own = relayMessageOf(body);
  const field = own.field;
  const message = status >= 200 && status < 300 ? own.message : isEnvelope(body) ? own.message : foreignAnswerMessage(status, body, path);
  if (status >= 200 && status < 300) return { kind: 'success', message: message || 'success', status };
  if (DONE_MESSAGES.has(message)) return { kind: 'done', message, field, status };
  if (TRANSIENT_MESSAGES.has(message)) return { kind: 'transient', message, field, status };
  if (message === 'Invalid signature') return { kind: 'fatal', message, field, status, resyncClock: true };
  if (status === 404) return { kind: 'transient', message, status };
  // Not from the relay itself but from proxies in front of it: worth a bounded retry.
  if (status === 408 || status === 429) return { kind: 'transient', message, status };
  if (status >= 500) {
    // 500 carrying a Go decode/verify error is deterministic: retrying cannot help (SPEC §4.6).
    // `image:`/`png:` = an uploaded result file that is not a PNG (SPEC §4.3 C6).
    if (/^invalid character|^invalid signature|^json: |^image: |^png: /.test(message)) return { kind: 'fatal', message, status };
    return { kind: 'transient', message: message || `HTTP ${status}`, status };
  }
  return { kind: 'fatal', message: message || `HTTP ${status}`, field, status };
}

/**
 * Network failures (refused, reset, DNS, timeouts) are always worth a retry. The message names
 * the cause (ECONNREFUSED, ENOTFOUND, a certificate error), not just "fetch failed".
 */
export function classifyNetworkError(err: unknown): RelayAnswerClass {
  return { kind: 'transient', message: `network error: ${describeFetchError(err)}`, status: 0 };
}
