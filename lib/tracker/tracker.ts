/**
 * The pending-task registry and the block cursor, persisted through a KeyValueStore
 * (ARCHITECTURE "Crash safety"). Between createTask and the delivered result a record
 * holds what a restarted process needs to resume without paying twice: the transaction
 * hash (known before broadcast), then the task id and block, the outcome once seen, and
 * a JSON-safe snapshot of the caller's message.
 */
import { CrynuxError, TaskArgsError } from '../errors';
import type { KeyValueStore, TaskOutcome } from '../client-types';
import type { CursorState, CursorStore, TaskRecordUpdate, UploadedEvent } from '../chain/block-watcher';

export interface TrackedTask {
  /** The caller's key (e.g. node id + msg id): unique per job. */
  key: string;
  /** JSON-safe copy of what the caller needs to continue (e.g. the msg). */
  snapshot?: unknown;
  /** Caller-defined progress marker, e.g. "created", "uploaded". */
  stage?: string;
  /** createTask transaction; set before it is broadcast. */
  txHash?: string;
  /** Its nonce and signed bytes, so an unanswered broadcast can be resumed (never paid twice). */
  txNonce?: number;
  rawTx?: string;
  taskId?: string;
  createdBlock?: number;
  /** Fee in wei (decimal string). */
  taskFee?: string;
  outcome?: TaskOutcome;
  uploaded?: UploadedEvent;
  abortedAfterSuccess?: string;
  /** ISO time of the last change. */
  updatedAt: string;
  /** Hash of block 0 of the chain the job was recorded on (see TaskTracker.setChain). */
  genesisHash?: string;
}

export type TrackedTaskPatch = Partial<Omit<TrackedTask, 'key' | 'updatedAt' | 'genesisHash'>>;

export interface TaskTrackerOptions {
  /** Prefix of the store keys. Default "crynux". */
  namespace?: string;
  /** The saved cursor is used only on the same chain and contract. */
  chainId?: number;
  taskAddress?: string;
}

interface StoredCursor extends CursorState {
  chainId?: number;
  taskAddress?: string;
  genesisHash?: string;
}

function jsonSafe(value: unknown, path: string): unknown {
  try {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  } catch (err) {
    throw new TaskArgsError(`${path} must be JSON-safe (no bigint, no cycles): ${(err as Error).message}`, [
      { path, message: 'expected a JSON-serialisable value' },
    ]);
  }
}

export class TaskTracker {
  private readonly tasksKey: string;
  private readonly cursorKey: string;
  private lock: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly store: KeyValueStore, private readonly opts: TaskTrackerOptions = {}) {
    this.opts = { ...opts };
    const ns = opts.namespace ?? 'crynux';
    this.tasksKey = `${ns}_tasks`;
    this.cursorKey = `${ns}_cursor`;
  }

  /** Hash of block 0 of the connected chain, once known. */
  private genesisHash: string | undefined;

  /**
   * Scopes records and cursor to the chain actually connected. The chain id alone cannot tell
   * a chain from its reset (a devnet restarted, a testnet relaunched: same id, same contract
   * addresses, task ids from 1 again), so records carry the genesis block hash: those of
   * another chain are left in the store untouched and invisible here, never resumed, matched
   * with a task id or given its events.
   */
  setChain(chainId: number, genesisHash?: string): void {
    this.opts.chainId ??= chainId;
    this.genesisHash = genesisHash?.toLowerCase();
  }

  /** Recorded on this chain, or before the chain was known (older records). */
  private mine(rec: TrackedTask | undefined): rec is TrackedTask {
    return !!rec && (!this.genesisHash || !rec.genesisHash || rec.genesisHash === this.genesisHash);
  }

  /** This chain's records, and how many belong to another chain (kept, and ignored), from one read. */
  async byChain(): Promise<{ here: TrackedTask[]; elsewhere: number }> {
    const all = Object.values(await this.serial(() => this.all()));
    const here = all.filter((rec) => this.mine(rec));
    return { here, elsewhere: all.length - here.length };
  }

  /**
   * Stops writing: resolves once the operations already queued have landed, and refuses later
   * writes. Every write replaces the whole record map, so a late write from a closed client
   * would wipe what its successor on the same store (a redeploy) recorded since, e.g. the
   * hash of a transaction just sent: the next retry would pay again.
   */
  close(): Promise<void> {
    this.closed = true;
    return this.lock.then(() => undefined);
  }

  private refuseClosed(key: string, what: 'updated' | 'removed'): void {
    if (this.closed) throw new CrynuxError('CLOSED', `The client is closed: the tracked job ${JSON.stringify(key)} was not ${what}`);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async all(): Promise<Record<string, TrackedTask>> {
    const v = await this.store.get(this.tasksKey);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, TrackedTask>) : {};
  }

  async list(): Promise<TrackedTask[]> {
    return (await this.byChain()).here;
  }

  async get(key: string): Promise<TrackedTask | undefined> {
    const rec = (await this.serial(() => this.all()))[key];
    return this.mine(rec) ? rec : undefined;
  }

  async byTaskId(taskId: string): Promise<TrackedTask | undefined> {
    return (await this.list()).find((t) => t.taskId === taskId);
  }

  /** Creates or merges a record. */
  async put(key: string, patch: TrackedTaskPatch): Promise<TrackedTask> {
    if (typeof key !== 'string' || !key) throw new TaskArgsError('track.key must be a non-empty string', [{ path: 'key', message: 'expected a non-empty string' }]);
    const safe = jsonSafe(patch, 'snapshot') as TrackedTaskPatch;
    this.refuseClosed(key, 'updated');
    return this.serial(async () => {
      const all = await this.all();
      // A record of another chain under the same key is replaced, not merged into.
      const prior = this.mine(all[key]) ? { genesisHash: this.genesisHash, ...all[key] } : { genesisHash: this.genesisHash };
      const rec: TrackedTask = { ...prior, ...safe, key, updatedAt: new Date().toISOString() };
      if (rec.genesisHash === undefined) delete rec.genesisHash;
      all[key] = rec;
      await this.store.set(this.tasksKey, all);
      return rec;
    });
  }

  /** Records what the block watcher learnt about a task (by task id). */
  recordEvent(taskId: string, update: TaskRecordUpdate): Promise<void> {
    // After close the chain still holds the event: the successor reads it again.
    if (this.closed) return Promise.resolve();
    return this.serial(async () => {
      const all = await this.all();
      let changed = false;
      for (const rec of Object.values(all)) {
        // Task ids restart from 1 on a reset chain: only this chain's record gets the event.
        if (rec.taskId !== taskId || !this.mine(rec)) continue;
        Object.assign(rec, jsonSafe(update, 'update'), { updatedAt: new Date().toISOString() });
        changed = true;
      }
      if (changed) await this.store.set(this.tasksKey, all);
    });
  }

  async remove(key: string): Promise<void> {
    this.refuseClosed(key, 'removed');
    return this.serial(async () => {
      const all = await this.all();
      if (!this.mine(all[key])) return;
      delete all[key];
      await this.store.set(this.tasksKey, all);
    });
  }

  /** The block watcher's cursor, scoped to this chain and Task contract. */
  cursorStore(): CursorStore {
    return {
      load: async () => {
        const v = (await this.store.get(this.cursorKey)) as StoredCursor | undefined;
        if (!v || typeof v.block !== 'number' || !Array.isArray(v.covered)) return undefined;
        if (this.opts.chainId !== undefined && v.chainId !== this.opts.chainId) return undefined;
        if (this.opts.taskAddress && v.taskAddress?.toLowerCase() !== this.opts.taskAddress.toLowerCase()) return undefined;
        if (this.genesisHash && v.genesisHash && v.genesisHash !== this.genesisHash) return undefined;
        return { block: v.block, covered: v.covered.map(String) };
      },
      save: async (state) => {
        if (this.closed) return; // the successor rescans from the cursor saved before
        const stored: StoredCursor = { ...state, chainId: this.opts.chainId, taskAddress: this.opts.taskAddress, genesisHash: this.genesisHash };
        await this.store.set(this.cursorKey, stored);
      },
    };
  }
}
