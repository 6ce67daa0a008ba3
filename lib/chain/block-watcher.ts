/**
 * One loop per wallet that follows the Task contract's terminal events for every pending
 * task at once (ARCHITECTURE "One client per wallet"): per poll one eth_blockNumber and, when
 * blocks were added, one eth_getLogs per ≤ maxLogRange blocks, whatever the number of tasks.
 *
 * - The first terminal event per task wins (SPEC §3.8): TaskAborted after TaskSuccess only
 *   tells upload waiters that the files will never come.
 * - Events count once `confirmations` blocks hold them (1 = mined).
 * - The cursor (last block fully processed) moves only after the events in the range were
 *   handed to `onRecord` (persistence), and is saved with the ids it covers, so a restart
 *   resumes from it without missing or re-scanning anything (ARCHITECTURE "Crash safety").
 * - The loop runs only while some task is pending; close() clears every timer.
 *
 * This file is the loop and the cursor. What one task's entry knows and the §3.8 rules are in
 * watcher-entry, how callers wait (timeouts, abort signals) in watcher-waits, and
 * cancelOnTimeout (§3.9) in watcher-cancel.
 */
import { EventEmitter } from 'node:events';
import { CrynuxError } from '../errors';
import { decodeTaskLog, TASK_EVENT_TOPICS, type LogLike } from '../protocol';
import type { TaskOutcome, WaitOptions } from '../client-types';
import { TaskLogSource } from './logs';
import type { ChainTaskState } from './task-contract';
import type { BlockWatcherOptions, CursorState, TaskRecordUpdate, UploadedEvent } from './watcher-types';
import { applyEvent, isActive, isFinal, newEntry, pruneEntries, recordOf, type Entry } from './watcher-entry';
import { failAllWaiters, outcomeWait, settleWaiters, uploadWait, type WaitHost } from './watcher-waits';
import { startCancels } from './watcher-cancel';

export type { UploadedEvent, TaskRecordUpdate, CursorState, CursorStore, CancelResult, BlockWatcherOptions } from './watcher-types';
export { taskAbortedError } from './watcher-waits';

const WATCHED_TOPICS = [TASK_EVENT_TOPICS.TaskSuccess, TASK_EVENT_TOPICS.TaskAborted, TASK_EVENT_TOPICS.TaskResultUploaded];

/** How long close() waits for a poll in progress. */
const CLOSE_WAIT_MS = 2000;

/** Emits `poll-error` (message), `poll-ok`, `pending` (count) and `mode` ('logs' | 'blocks'). */
export class BlockWatcher extends EventEmitter {
  private readonly o: Required<Omit<BlockWatcherOptions, 'cursorStore' | 'taskState' | 'cancelIfDue' | 'onRecord' | 'logger'>> &
    BlockWatcherOptions;
  private readonly source: TaskLogSource;
  private readonly entries = new Map<string, Entry>();
  private cursorValue: number | undefined;
  /** The poll in progress, if any (close() waits for it). */
  private current: Promise<void> | undefined;
  private loaded: CursorState | undefined;
  private loadedOnce = false;
  private lastSaved = '';
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;
  private lastPending = 0;
  private failing = false;
  private modeReported = false;
  /** What the waits in watcher-waits need from the loop. */
  private readonly host: WaitHost;

  constructor(opts: BlockWatcherOptions) {
    super();
    this.o = {
      ...opts,
      confirmations: opts.confirmations ?? 1,
      pollIntervalMs: opts.pollIntervalMs ?? 2000,
      maxLogRange: opts.maxLogRange ?? 500,
      lookbackBlocks: opts.lookbackBlocks ?? 10_000,
      maxRangesPerTick: opts.maxRangesPerTick ?? 20,
      lingerMs: opts.lingerMs ?? 10 * 60_000,
    };
    this.source = new TaskLogSource(opts.rpc, opts.taskAddress, WATCHED_TOPICS, this.o.maxLogRange, opts.logger);
    this.host = { emitPending: () => this.emitPending(), kick: (now) => this.kick(now), canCancel: !!opts.cancelIfDue };
  }

  /** Last block fully processed. */
  get cursor(): number | undefined {
    return this.cursorValue;
  }

  /** eth_getLogs, or the slower block-receipt fallback. */
  get mode(): 'logs' | 'blocks' {
    return this.source.mode;
  }

  get pendingCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (isActive(e)) n++;
    return n;
  }

  /** Starts (or keeps) watching a task. `tracked` tasks stay watched until final. */
  watch(taskId: bigint, opts: { fromBlock?: number; tracked?: boolean; known?: TaskRecordUpdate } = {}): void {
    this.entry(taskId, opts);
    this.kick();
  }

  /** Stops the persistent interest in a task (waiters still get their answer). */
  untrack(taskId: bigint): void {
    const e = this.entries.get(taskId.toString());
    if (e) e.tracked = false;
    this.emitPending();
  }

  /** What is known so far about a task, without waiting. */
  known(taskId: bigint): TaskRecordUpdate | undefined {
    const e = this.entries.get(taskId.toString());
    return e && recordOf(e);
  }

  /** The first terminal event (SPEC §3.8); see watcher-waits for timeouts and cancelOnTimeout. */
  waitForOutcome(taskId: bigint, opts: WaitOptions = {}): Promise<TaskOutcome> {
    if (this.closed) return Promise.reject(new CrynuxError('CLOSED', 'The client is closed'));
    return outcomeWait(this.entry(taskId, { fromBlock: opts.fromBlock }), opts, this.host);
  }

  /** Resolves on TaskResultUploaded; rejects once the task is known to be aborted. */
  waitForUploaded(taskId: bigint, opts: { timeoutMs?: number; signal?: AbortSignal; fromBlock?: number } = {}): Promise<UploadedEvent> {
    if (this.closed) return Promise.reject(new CrynuxError('CLOSED', 'The client is closed'));
    return uploadWait(this.entry(taskId, { fromBlock: opts.fromBlock }), opts, this.host);
  }

  /**
   * Stops polling and fails every wait. Resolves once a poll in progress has finished (at most
   * CLOSE_WAIT_MS), so its last cursor write lands before the store is handed to a successor.
   */
  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    failAllWaiters(this.entries.values(), new CrynuxError('CLOSED', 'The client was closed while waiting'));
    if (!this.current) return Promise.resolve();
    // Bounded: a poll stuck on an unanswering RPC must not hold up a redeploy.
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS)));
    return Promise.race([this.current, limit]).finally(() => clearTimeout(timer));
  }

  // ---- bookkeeping ----

  private entry(id: bigint, opts: { fromBlock?: number; tracked?: boolean; known?: TaskRecordUpdate }): Entry {
    const key = id.toString();
    let e = this.entries.get(key);
    if (!e) {
      e = newEntry(id, opts.known);
      // Prune before inserting: the new entry has no waiter attached yet and would look idle.
      pruneEntries(this.entries);
      this.entries.set(key, e);
      if (opts.fromBlock === undefined) e.resolving = true;
      else if (!Number.isSafeInteger(opts.fromBlock) || opts.fromBlock < 0) {
        this.entries.delete(key);
        throw new CrynuxError('TASK_ARGS', `fromBlock must be a non-negative block number, got ${String(opts.fromBlock)}`);
      } else if (opts.tracked && this.loaded && this.loaded.covered.includes(key) && opts.fromBlock <= this.loaded.block) {
        // Recorded up to the saved cursor by the previous run: continue after it.
        e.needsFrom = this.loaded.block + 1;
      } else {
        e.needsFrom = opts.fromBlock;
      }
    }
    if (opts.tracked) e.tracked = true;
    return e;
  }

  private emitPending(): void {
    const n = this.pendingCount;
    if (n !== this.lastPending) {
      this.lastPending = n;
      this.emit('pending', n);
    }
  }

  // ---- the loop ----

  private kick(now = false): void {
    this.emitPending();
    if (this.closed || this.running) return;
    if (this.timer && !now) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.startRun(), 0);
  }

  private startRun(): Promise<void> {
    const p = this.run();
    this.current = p;
    void p.finally(() => {
      if (this.current === p) this.current = undefined;
    });
    return p;
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    if (this.closed) return;
    this.running = true;
    let more = false;
    try {
      more = await this.tick();
      if (this.failing) {
        this.failing = false;
        this.emit('poll-ok');
      }
    } catch (err) {
      this.failing = true;
      const message = (err as Error).message;
      this.o.logger?.warn(`block watcher: ${message}`);
      this.emit('poll-error', message);
    } finally {
      this.running = false;
    }
    if (this.source.mode !== 'logs' && !this.modeReported) {
      this.modeReported = true;
      this.emit('mode', this.source.mode);
    }
    this.emitPending();
    if (this.closed) return;
    if (this.pendingCount === 0) {
      // Idle: forget the position so a later task starts from its own block, not from here.
      this.cursorValue = undefined;
      for (const [k, e] of this.entries) if (!isFinal(e) && !isActive(e) && e.outcomeWaiters.size === 0) this.entries.delete(k);
      return;
    }
    this.timer = setTimeout(() => void this.startRun(), more ? 0 : this.o.pollIntervalMs);
  }

  private async loadCursor(): Promise<void> {
    if (this.loadedOnce || !this.o.cursorStore) return;
    this.loadedOnce = true;
    this.loaded = await this.o.cursorStore.load();
    if (!this.loaded) return;
    // The saved block matters only to the tracked tasks it covers: they continue right after it
    // (a task that is not covered is scanned from its own fromBlock; an idle gap is never scanned).
    // Entries registered before the load get the treatment entry() gives later ones.
    for (const e of this.entries.values()) {
      if (e.tracked && e.needsFrom !== undefined && e.needsFrom <= this.loaded.block && this.loaded.covered.includes(e.id.toString())) {
        e.needsFrom = this.loaded.block + 1;
      }
    }
  }

  /** One poll; true when a backlog remains. */
  private async tick(): Promise<boolean> {
    await this.loadCursor();
    const head = Number(await this.o.rpc.request<string>('eth_blockNumber', []));
    const safe = head - Math.max(1, this.o.confirmations) + 1;
    for (const e of this.entries.values()) if (e.resolving) await this.resolveStart(e, head);

    let from = this.cursorValue === undefined ? undefined : this.cursorValue + 1;
    for (const e of this.entries.values()) {
      if (e.needsFrom !== undefined && isActive(e)) from = from === undefined ? e.needsFrom : Math.min(from, e.needsFrom);
    }
    let a = from ?? safe + 1;
    for (let ranges = 0; a <= safe && ranges < this.o.maxRangesPerTick; ranges++) {
      const b = Math.min(safe, a + this.source.range - 1);
      await this.dispatch(await this.source.fetch(a, b));
      this.cursorValue = b;
      for (const e of this.entries.values()) {
        if (e.needsFrom !== undefined && e.needsFrom >= a && e.needsFrom <= b + 1) e.needsFrom = undefined;
      }
      a = b + 1;
    }
    if (this.cursorValue === undefined) this.cursorValue = a - 1;
    await this.saveCursor();
    startCancels(this.entries.values(), this.o.cancelIfDue, this.o.logger);
    return a <= safe;
  }

  /** Without fromBlock: running/queued at `head` means every event is still ahead. */
  private async resolveStart(e: Entry, head: number): Promise<void> {
    let state: ChainTaskState = 'finished';
    if (this.o.taskState) state = await this.o.taskState(e.id, `0x${head.toString(16)}`);
    e.needsFrom = state === 'finished' ? Math.max(0, head - this.o.lookbackBlocks) : head + 1;
    e.resolving = false;
  }

  private async dispatch(logs: LogLike[]): Promise<void> {
    const changed = new Map<Entry, TaskRecordUpdate>();
    for (const log of logs) {
      const ev = decodeTaskLog(log, this.o.taskAddress);
      if (!ev) continue;
      const e = this.entries.get(ev.taskId.toString());
      if (!e) continue;
      const where = { blockNumber: log.blockNumber ?? 0, txHash: log.transactionHash ?? '' };
      if (applyEvent(e, ev, where, this.o.lingerMs)) changed.set(e, recordOf(e));
    }
    for (const [e, update] of changed) {
      if (e.tracked && this.o.onRecord) await this.o.onRecord(e.id.toString(), update);
      settleWaiters(e);
    }
  }

  private async saveCursor(): Promise<void> {
    if (!this.o.cursorStore || this.cursorValue === undefined) return;
    const covered: string[] = [];
    for (const e of this.entries.values()) {
      if (e.tracked && !isFinal(e) && e.needsFrom === undefined && !e.resolving) covered.push(e.id.toString());
    }
    const state: CursorState = { block: this.cursorValue, covered };
    const text = JSON.stringify(state);
    if (text === this.lastSaved) return;
    await this.o.cursorStore.save(state);
    this.lastSaved = text;
  }
}
