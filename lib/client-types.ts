/**
 * The contract between the library's CrynuxClient (lib/client.ts) and its users (the
 * Node-RED nodes, the demo, benchmarks). Kept in its own file so both sides can be built
 * against it independently.
 */

/** Minimal async key/value store; Node-RED context (any store) or a JSON file implements it. */
export interface KeyValueStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

/** Where the library writes diagnostics. Never given secrets. */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface CrynuxClientOptions {
  /** One or more JSON-RPC URLs, in failover order. */
  rpcUrls: string[];
  /** Expected chain id; a different chain at the RPC is a ConfigError on start(). */
  chainId?: number;
  /** Task contract address. */
  taskAddress: string;
  /** TaskQueue contract address (optional: enables the "queued" state, SPEC §3.7). */
  taskQueueAddress?: string;
  /** Relay base URL, e.g. http://127.0.0.1:8080 (no trailing /v1). */
  relayUrl: string;
  /** Application wallet key, with or without 0x. Never logged. */
  privateKey: string;
  /** 'auto' = eth_gasPrice; otherwise a fixed legacy gas price in wei. Default 'auto'. */
  gasPrice?: 'auto' | bigint;
  /** 'estimate' = eth_estimateGas + margin; otherwise a fixed gas limit. Default 5,000,000 (SPEC §3.10). */
  gasLimit?: 'estimate' | bigint;
  /**
   * Confirmations before a receipt or event counts (reorg safety), counting the block that holds
   * it, as ethers does: 1 = as soon as it is mined, 3 = two more blocks on top. 0 acts as 1. Default 1.
   */
  confirmations?: number;
  /** Block watcher poll interval in ms. Default 2000. */
  pollIntervalMs?: number;
  /** Largest eth_getLogs block range (split further when the RPC refuses). Default 500. */
  maxLogRange?: number;
  /** Persistence for pending tasks and the block cursor (crash safety). Default: memory only. */
  store?: KeyValueStore;
  /**
   * Prefix of the keys written to `store` (one client per prefix at a time: a successor, e.g.
   * after a redeploy, starts once the previous client's close() resolved). Default "crynux".
   */
  storeNamespace?: string;
  /** Timeout of one JSON-RPC or relay HTTP request, ms. Default 15,000 (RPC) / 30,000 (relay). */
  requestTimeoutMs?: number;
  logger?: Logger;
}

export interface CreateTaskRequest {
  taskType: 0 | 1;
  taskHash: string;
  vramLimit: number;
  cap: number;
  /** Fee in wei. */
  taskFee: bigint;
}

export interface CreateTaskOptions {
  signal?: AbortSignal;
  /** Called once the transaction is broadcast (before confirmations), e.g. to persist the hash. */
  onSent?: (txHash: string) => void | Promise<void>;
  /** Follow an already-broadcast transaction instead of sending a new one (restart recovery). */
  existingTxHash?: string;
  /**
   * Persist this job in the client's store (crash safety): the tx hash (with its nonce and
   * signed bytes) before broadcast, then the task id, outcome and upload. The record outlives
   * a failure that may have left the transaction in flight (an unanswered broadcast, an outage,
   * a shutdown), so a second createTask with the same key never pays twice: it returns the
   * recorded task, follows the recorded transaction, re-sends its very same bytes, or sends a
   * new one only once the recorded one can never be mined (its nonce went to another). Calls
   * with one key run one at a time (the second joins the first's task). Remove it with
   * `client.untrack(key)` once the result is delivered.
   */
  track?: { key: string; snapshot?: unknown; stage?: string };
}

export interface CreatedTask {
  /** Decimal string (ids are uint256). */
  taskId: string;
  txHash: string;
  blockNumber: number;
  creator: string;
  taskFee: string;
}

export interface RetryOptions {
  /** Give up after this long, with a TimeoutError that names the last relay answer. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called before each retry wait (for a yellow status). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export interface UploadResult {
  /** True when the relay answered "Task already uploaded" (success-equivalent). */
  alreadyUploaded: boolean;
  /** ISO time at which the relay accepted the args. */
  uploadedAt: string;
}

export type TaskOutcome =
  | {
      status: 'success';
      taskId: string;
      /** TaskSuccess.result as 0x hex: 8 bytes per SD image, 32 bytes (sha256) per GPT file. */
      result: string;
      resultNode: string;
      blockNumber: number;
      txHash: string;
    }
  | {
      status: 'aborted';
      taskId: string;
      /** The contract's reason string, or 'timeout' when we gave up waiting. */
      abortReason: string;
      blockNumber?: number;
      txHash?: string;
      /** Set when we cancelled the task ourselves to get the refund. */
      cancelTxHash?: string;
    };

export interface WaitOptions {
  signal?: AbortSignal;
  /** Give up waiting after this long and resolve with status 'aborted', abortReason 'timeout'. */
  timeoutMs?: number;
  /** On timeout, cancel the task once the contract deadline has passed (refund). */
  cancelOnTimeout?: boolean;
  /** Only consider events from this block on (the createTask block). */
  fromBlock?: number;
}

export interface DownloadOptions extends RetryOptions {
  /** Download at most this many files at once. Default 4. */
  parallel?: number;
  /** Refuse a single file larger than this many bytes. Default 32 MiB. */
  maxBytes?: number;
  /** TaskSuccess.result: GPT files are checked against it (sha256), SD count is derived from it. */
  result?: string;
}

export interface FetchOptions extends DownloadOptions {
  /** Look for TaskResultUploaded from this block on (the createTask block). */
  fromBlock?: number;
  /** 'waiting': the files are not on the relay yet; 'downloading': they are being fetched. */
  onStage?: (stage: 'waiting' | 'downloading') => void;
}

export interface DownloadedResults {
  /** The raw files, index 0…n−1. */
  files: Buffer[];
}

export interface ClientHealth {
  /** Current RPC URL in use. */
  rpcUrl: string;
  /** Last error seen by the watcher or provider, cleared on recovery. */
  lastError?: string;
  /** Number of tasks the block watcher is waiting for. */
  pending: number;
  /** Last block the watcher has fully processed. */
  cursor?: number;
  /** How task events are read: 'logs' (eth_getLogs) or 'blocks' (the slower receipt fallback). */
  eventSource?: 'logs' | 'blocks';
}
