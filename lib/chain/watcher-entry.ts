/**
 * What the block watcher knows about one task, and who waits for it. The rule of SPEC §3.8
 * lives here: the first terminal event (TaskSuccess or TaskAborted) is final; a TaskAborted
 * after TaskSuccess ("Task Cancelled" once the deadline passed without an upload) only tells
 * upload waiters that the files will never come.
 */
import type { TaskOutcome } from '../client-types';
import type { TaskEvent } from '../protocol';
import type { TaskRecordUpdate, UploadedEvent } from './watcher-types';

/** One pending wait: exactly one of ok/fail settles it (see watcher-waits). */
export interface Waiter<T> {
  ok: (value: T) => void;
  fail: (err: Error) => void;
}

export interface Entry {
  id: bigint;
  /** A scan from this block is still owed to this task. */
  needsFrom?: number;
  /** Waiting for the status check that replaces a missing fromBlock. */
  resolving?: boolean;
  outcome?: TaskOutcome;
  uploaded?: UploadedEvent;
  abortedAfterSuccess?: string;
  outcomeWaiters: Set<Waiter<TaskOutcome>>;
  uploadWaiters: Set<Waiter<UploadedEvent>>;
  /** Waiters whose timeout asked for a cancel once the deadline passes. */
  cancelWaiters: Set<Waiter<TaskOutcome>>;
  cancelling?: boolean;
  tracked: boolean;
  lingerUntil?: number;
}

/** Where an event was mined; copied into outcomes and upload answers. */
export interface EventPlace {
  blockNumber: number;
  txHash: string;
}

/** A fresh entry, seeded with what a previous run recorded (`known`) so nothing is re-learnt. */
export function newEntry(id: bigint, known?: TaskRecordUpdate): Entry {
  const e: Entry = { id, outcomeWaiters: new Set(), uploadWaiters: new Set(), cancelWaiters: new Set(), tracked: false };
  Object.assign(e, known ?? {});
  return e;
}

/** The part of an entry that is persisted for tracked tasks and shown by `known()`. */
export function recordOf(e: Entry): TaskRecordUpdate {
  return { outcome: e.outcome, uploaded: e.uploaded, abortedAfterSuccess: e.abortedAfterSuccess };
}

/** Nothing more can happen: aborted, uploaded, or success that will never be uploaded. */
export function isFinal(e: Entry): boolean {
  return e.outcome?.status === 'aborted' || e.uploaded !== undefined || e.abortedAfterSuccess !== undefined;
}

/** Still worth polling for: someone waits, the task is tracked, or it lingers after success. */
export function isActive(e: Entry): boolean {
  if (isFinal(e)) return false;
  if (e.uploadWaiters.size > 0) return true;
  if (!e.outcome && e.outcomeWaiters.size > 0) return true;
  return e.tracked || (e.lingerUntil !== undefined && e.lingerUntil > Date.now());
}

/**
 * Applies one terminal event to its task's entry (SPEC §3.8); false when it changes nothing
 * (a repeat, or an event that comes after the one that decided). An untracked task keeps being
 * watched for `lingerMs` after TaskSuccess so a later fetch can still see TaskResultUploaded.
 */
export function applyEvent(e: Entry, ev: TaskEvent, where: EventPlace, lingerMs: number): boolean {
  if (ev.name === 'TaskSuccess' && !e.outcome) {
    e.outcome = { status: 'success', taskId: e.id.toString(), result: ev.result, resultNode: ev.resultNode, ...where };
    if (!e.tracked) e.lingerUntil = Date.now() + lingerMs;
  } else if (ev.name === 'TaskAborted' && !e.outcome) {
    e.outcome = { status: 'aborted', taskId: e.id.toString(), abortReason: ev.reason, ...where };
  } else if (ev.name === 'TaskAborted' && e.outcome?.status === 'success' && !e.uploaded && e.abortedAfterSuccess === undefined) {
    e.abortedAfterSuccess = ev.reason;
  } else if (ev.name === 'TaskResultUploaded' && !e.uploaded) {
    e.uploaded = where;
  } else return false;
  return true;
}

/** Bounds memory: past 2000 entries, drop idle ones (oldest first) down to 1500. */
export function pruneEntries(entries: Map<string, Entry>): void {
  if (entries.size <= 2000) return;
  for (const [k, e] of entries) {
    if (entries.size <= 1500) break;
    if (!isActive(e) && e.outcomeWaiters.size === 0) entries.delete(k);
  }
}
