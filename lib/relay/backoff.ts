/**
 * Waiting and retry timing shared by the relay client and the chain code: exponential
 * backoff with jitter, bounded by an overall deadline (SPEC §4.6 "retry with backoff,
 * bounded"), and abortable sleeps.
 */
import { AbortedError } from '../errors';

export interface BackoffPolicy {
  /** First delay, ms. Default 500. */
  baseMs?: number;
  /** Largest delay, ms. Default 10,000. */
  maxMs?: number;
}

/**
 * Delay before retry number `attempt` (1-based): base·2^(attempt−1), capped, then scaled by
 * a factor in [0.5, 1) ("equal jitter") so many clients retrying together spread out but
 * none waits less than half the nominal delay.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy = {}, random: () => number = Math.random): number {
  const base = policy.baseMs ?? 500;
  const max = policy.maxMs ?? 10_000;
  const nominal = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(nominal * (0.5 + 0.5 * random()));
}

export function abortReasonError(signal: AbortSignal | undefined): Error {
  const r = signal?.reason;
  if (r instanceof Error && r.name !== 'AbortError') return r;
  return new AbortedError();
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReasonError(signal);
}

/** setTimeout as a promise that rejects with AbortedError when `signal` fires. */
/** Node.js fires a setTimeout longer than 2^31−1 ms after 1 ms: clamp (~24.8 days) instead. */
export const MAX_TIMER_MS = 0x7fffffff;
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_TIMER_MS);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReasonError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReasonError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, timerDelay(ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `promise`, or AbortedError as soon as `signal` fires (the promise itself keeps running). */
export function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortReasonError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReasonError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}
