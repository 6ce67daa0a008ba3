/** Types shared by the block watcher, the tracker and the client. */
import type { Logger, TaskOutcome } from '../client-types';
import type { RpcLike } from './logs';
import type { ChainTaskState } from './task-contract';

export interface UploadedEvent {
  blockNumber: number;
  txHash: string;
}

/** What the watcher knows about one task; persisted for tracked tasks. */
export interface TaskRecordUpdate {
  outcome?: TaskOutcome;
  uploaded?: UploadedEvent;
  /** TaskAborted reason seen after TaskSuccess: the results will never be uploaded. */
  abortedAfterSuccess?: string;
}

export interface CursorState {
  block: number;
  /** Tracked task ids whose events up to `block` were all recorded. */
  covered: string[];
}

export interface CursorStore {
  load(): Promise<CursorState | undefined>;
  save(state: CursorState): Promise<void>;
}

export type CancelResult = { kind: 'cancelled'; txHash: string; blockNumber: number } | { kind: 'not-due' } | { kind: 'gone' };

export interface BlockWatcherOptions {
  rpc: RpcLike;
  taskAddress: string;
  confirmations?: number;
  pollIntervalMs?: number;
  maxLogRange?: number;
  /** How far back to look for a task given without fromBlock that has already finished. */
  lookbackBlocks?: number;
  /** Ranges fetched per poll before yielding (a long backlog continues at once). */
  maxRangesPerTick?: number;
  /** Untracked tasks keep being watched this long after TaskSuccess, for TaskResultUploaded. */
  lingerMs?: number;
  cursorStore?: CursorStore;
  /** SPEC §3.7 state at a block, used when no fromBlock is known. */
  taskState?: (taskId: bigint, blockTag: string) => Promise<ChainTaskState>;
  /** Cancels the task if its deadline passed (queued: at once). Needed for cancelOnTimeout. */
  cancelIfDue?: (taskId: bigint) => Promise<CancelResult>;
  /** Persists what was learnt about a tracked task; awaited before waiters and the cursor move on. */
  onRecord?: (taskId: string, update: TaskRecordUpdate) => Promise<void>;
  logger?: Logger;
}
