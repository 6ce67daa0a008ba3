/**
 * How callers wait on the block watcher. Each wait parks a Waiter on its task's entry until an
 * event settles it, its timeout fires or its AbortSignal aborts; whichever comes first detaches
 * it everywhere (timer, abort listener, waiter sets), so a settled wait leaves nothing behind
 * and the watcher can tell when no one is waiting any more.
 */
import { CrynuxError, TimeoutError } from '../errors';
import { ABORT_REASONS } from '../protocol';
import type { TaskOutcome, WaitOptions } from '../client-types';
import { abortReasonError, timerDelay } from '../relay/backoff';
import { seconds } from '../fetch-error';
import type { Entry, Waiter } from './watcher-entry';
import type { UploadedEvent } from './watcher-types';

/** What a wait needs from the watcher's loop. */
export interface WaitHost {
  /** Re-counts pending tasks: a wait that ends may leave its task idle. */
  emitPending(): void;
  /** Makes sure a poll is scheduled; `now` brings it forward (a cancel became due). */
  kick(now?: boolean): void;
  /** A cancelIfDue callback was given, so cancelOnTimeout can be honoured (SPEC §3.9). */
  canCancel: boolean;
}

export function taskAbortedError(id: bigint, reason: string): CrynuxError {
  return new CrynuxError('TASK_ABORTED', `Task ${id} was aborted (${reason}); its results will never be uploaded`);
}

/** The outcome of a wait that gave up; `extra` carries our own cancel, if one was sent. */
export function timeoutOutcome(id: bigint, extra: Partial<Extract<TaskOutcome, { status: 'aborted' }>> = {}): TaskOutcome {
  return { status: 'aborted', taskId: id.toString(), abortReason: 'timeout', ...extra };
}

/** Why the results will never be uploaded (SPEC §3.8), or undefined while they still may be. */
function uploadNeverComing(e: Entry): string | undefined {
  return e.abortedAfterSuccess ?? (e.outcome?.status === 'aborted' ? e.outcome.abortReason : undefined);
}

/**
 * Parks a waiter in `sets[0]` until settled. Cleanup leaves every set in `sets`, because a
 * waiter may have moved on to another one meanwhile (an outcome waiter to cancelWaiters).
 */
function park<T>(
  host: WaitHost,
  sets: Set<Waiter<T>>[],
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  onTimeout: (waiter: Waiter<T>) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      for (const set of sets) set.delete(waiter);
      host.emitPending();
    };
    const waiter: Waiter<T> = {
      ok: (value) => (cleanup(), resolve(value)),
      fail: (err) => (cleanup(), reject(err)),
    };
    const onAbort = () => waiter.fail(abortReasonError(signal));
    if (signal?.aborted) return reject(abortReasonError(signal));
    signal?.addEventListener('abort', onAbort, { once: true });
    sets[0].add(waiter);
    if (timeoutMs !== undefined) timer = setTimeout(() => onTimeout(waiter), timerDelay(timeoutMs));
    host.kick();
  });
}

/** The first terminal event (SPEC §3.8); on timeout 'aborted'/'timeout', after a cancel if asked. */
export function outcomeWait(e: Entry, opts: WaitOptions, host: WaitHost): Promise<TaskOutcome> {
  if (e.outcome) return Promise.resolve(e.outcome);
  return park(host, [e.outcomeWaiters, e.cancelWaiters], opts.signal, opts.timeoutMs, (waiter) => {
    if (!opts.cancelOnTimeout || !host.canCancel) {
      waiter.ok(timeoutOutcome(e.id));
      return;
    }
    // Keep waiting for a real outcome until the contract lets us cancel (SPEC §3.9, watcher-cancel).
    e.cancelWaiters.add(waiter);
    host.kick(true);
  });
}

/** Resolves on TaskResultUploaded; rejects once the task is known to be aborted. */
export function uploadWait(e: Entry, opts: { timeoutMs?: number; signal?: AbortSignal }, host: WaitHost): Promise<UploadedEvent> {
  if (e.uploaded) return Promise.resolve(e.uploaded);
  const aborted = uploadNeverComing(e);
  if (aborted !== undefined) return Promise.reject(taskAbortedError(e.id, aborted));
  return park(host, [e.uploadWaiters], opts.signal, opts.timeoutMs, (waiter) =>
    waiter.fail(new TimeoutError(`Task ${e.id}: the GPU node did not upload the results within ${seconds(opts.timeoutMs!)}`)),
  );
}

/** Hands what the entry now knows to its waiters (after onRecord persisted it). */
export function settleWaiters(e: Entry): void {
  // Our own cancelTask's "Task Cancelled" goes to its waiters as 'timeout' + cancelTxHash once it returns.
  const ownCancel = e.cancelling && e.outcome?.status === 'aborted' && e.outcome.abortReason === ABORT_REASONS.CANCELLED;
  if (e.outcome) for (const w of [...e.outcomeWaiters]) if (!(ownCancel && e.cancelWaiters.has(w))) w.ok(e.outcome);
  if (e.uploaded) for (const w of [...e.uploadWaiters]) w.ok(e.uploaded);
  const aborted = uploadNeverComing(e);
  if (aborted !== undefined && !e.uploaded) for (const w of [...e.uploadWaiters]) w.fail(taskAbortedError(e.id, aborted));
}

/** close(): every wait still parked fails with `err`. */
export function failAllWaiters(entries: Iterable<Entry>, err: Error): void {
  for (const e of entries) {
    for (const w of [...e.uploadWaiters, ...e.outcomeWaiters]) w.fail(err);
  }
}
