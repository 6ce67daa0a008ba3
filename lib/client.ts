/**
 * CrynuxClient: everything one application wallet needs on one network (ARCHITECTURE "One
 * client per wallet"): the RPC endpoints with failover, the transaction queue, one block
 * watcher for all pending tasks, the relay client and the persisted task tracker.
 *
 * Emits `health` (ClientHealth) whenever the RPC URL, the last error or the number of
 * pending tasks changes. The private key lives only inside the Wallet and the relay
 * signer; it is never logged, stored or put into an error.
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import { Wallet } from 'ethers';
import { AbortedError, ConfigError, CrynuxError, TimeoutError } from './errors';
import { normalizePrivateKey } from './protocol';
import type {
  ClientHealth, CreatedTask, CreateTaskOptions, CreateTaskRequest, CrynuxClientOptions, DownloadedResults,
  DownloadOptions, FetchOptions, Logger, RetryOptions, TaskOutcome, UploadResult, WaitOptions,
} from './client-types';
import { RpcTransport } from './chain/rpc';
import { FailoverJsonRpcProvider } from './chain/provider';
import { TransactionQueue, type SignedTx } from './chain/tx-queue';
import { parseTaskId, TaskContract, type CancelledTask, type ChainTaskInfo, type ChainTaskState } from './chain/task-contract';
import { BlockWatcher, taskAbortedError, type CancelResult, type UploadedEvent } from './chain/block-watcher';
import { RelayClient } from './relay/relay-client';
import { downloadResults } from './relay/download';
import { MemoryStore } from './tracker/stores';
import { TaskTracker, type TrackedTask, type TrackedTaskPatch } from './tracker/tracker';
import { PerKeySerial } from './tracker/per-key';
import { normalizeOptions } from './client-options';

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Whether a failed createTask may have left its transaction on the way to being mined, so the
 * tracked record (with the hash) must stay: a retry with the same key then follows it instead
 * of paying again. `handed` = signed, hash stored, broadcast unanswered or refused.
 */
function mayStillBeMined(reached: 'nothing' | 'handed' | 'sent', code: string | undefined): boolean {
  // Mined and reverted, or followed and unknown: nothing is in flight.
  if (reached === 'sent') return code !== 'CHAIN_REVERT' && code !== 'TX_NOT_FOUND';
  // A refusal (CHAIN_RPC, INSUFFICIENT_FUNDS) is an answer: the node did not take it.
  if (reached === 'handed') return code === 'CHAIN_CONNECTION' || code === 'CANCELLED' || code === 'CLOSED' || code === 'TIMEOUT';
  return false;
}

export class CrynuxClient extends EventEmitter {
  readonly address: string;
  readonly taskAddress: string;
  private readonly wallet: Wallet;
  private readonly rpc: RpcTransport;
  private readonly relay: RelayClient;
  private readonly tracker: TaskTracker;
  private readonly log: Logger;
  private readonly opts: CrynuxClientOptions;
  private readonly closing = new AbortController();
  private starting: Promise<void> | undefined;
  private parts: { queue: TransactionQueue; contract: TaskContract; watcher: BlockWatcher; chainId: number; genesisHash?: string } | undefined;
  private lastHealth = '';
  private ethersProvider: FailoverJsonRpcProvider | undefined;
  private watcherError: string | undefined;
  private readonly perKey = new PerKeySerial();

  constructor(options: CrynuxClientOptions) {
    super();
    // Every wait without a signal of its own listens on this one signal: no listener limit.
    setMaxListeners(0, this.closing.signal);
    if (!options || typeof options !== 'object') throw new ConfigError('CrynuxClient needs an options object');
    let key: string;
    try {
      key = normalizePrivateKey(options.privateKey);
    } catch (err) {
      throw new ConfigError(`privateKey: ${(err as Error).message}`);
    }
    this.wallet = new Wallet(key);
    this.address = this.wallet.address;
    const { opts, taskAddress, requestTimeoutMs } = normalizeOptions(options);
    this.taskAddress = taskAddress;
    this.opts = opts;
    this.log = options.logger ?? SILENT;
    this.rpc = new RpcTransport({ urls: options.rpcUrls, chainId: options.chainId, timeoutMs: requestTimeoutMs });
    this.relay = new RelayClient({ relayUrl: options.relayUrl, privateKey: key, requestTimeoutMs, logger: this.log });
    this.tracker = new TaskTracker(options.store ?? new MemoryStore(), {
      namespace: options.storeNamespace, chainId: options.chainId, taskAddress: this.taskAddress,
    });
    this.rpc.on('failover', (e: { url: string }) => {
      this.log.warn(`RPC failover: now using ${e.url}`);
      this.emitHealth();
    });
    this.rpc.on('down', () => this.emitHealth());
    this.rpc.on('up', () => this.emitHealth());
  }

  /**
   * Connects: checks the chain id of the RPC and reads its genesis hash, then resumes watching
   * the tracked tasks a previous run recorded on this chain. Safe to call repeatedly; a failed start can be retried.
   */
  start(): Promise<void> {
    if (this.closing.signal.aborted) return Promise.reject(new CrynuxError('CLOSED', 'The client is closed'));
    this.starting ??= this.doStart().catch((err) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    const chainId = await this.rpc.connect();
    const genesisHash = this.rpc.genesisHash;
    this.tracker.setChain(chainId, genesisHash);
    const { here: tracked, elsewhere } = await this.tracker.byChain();
    if (elsewhere > 0) {
      this.log.warn(`${elsewhere} tracked job(s) in the store were recorded on another chain with chain id ${chainId} (a reset devnet or network): they are kept but not resumed here`);
    }
    if (this.closing.signal.aborted) throw new CrynuxError('CLOSED', 'The client was closed while starting');
    const o = this.opts;
    const queue = new TransactionQueue({
      rpc: this.rpc, wallet: this.wallet, chainId, gasPrice: o.gasPrice, gasLimit: o.gasLimit,
      confirmations: o.confirmations, pollIntervalMs: Math.min(o.pollIntervalMs!, 1000), logger: this.log,
    });
    const contract = new TaskContract(this.rpc, queue, this.taskAddress, o.taskQueueAddress);
    const watcher = new BlockWatcher({
      rpc: this.rpc, taskAddress: this.taskAddress, confirmations: o.confirmations, pollIntervalMs: o.pollIntervalMs,
      maxLogRange: o.maxLogRange, logger: this.log, cursorStore: this.tracker.cursorStore(),
      taskState: async (id, tag) => (await contract.taskState(id, tag)).state,
      cancelIfDue: (id) => this.cancelIfDue(id),
      onRecord: (id, update) => this.tracker.recordEvent(id, update),
    });
    watcher.on('pending', () => this.emitHealth());
    watcher.on('mode', () => this.emitHealth());
    watcher.on('poll-error', (m: string) => ((this.watcherError = m), this.emitHealth()));
    watcher.on('poll-ok', () => ((this.watcherError = undefined), this.emitHealth()));
    this.parts = { queue, contract, watcher, chainId, genesisHash };
    for (const rec of tracked) {
      if (!rec.taskId || rec.createdBlock === undefined) continue;
      watcher.watch(BigInt(rec.taskId), {
        fromBlock: rec.createdBlock, tracked: true,
        known: { outcome: rec.outcome, uploaded: rec.uploaded, abortedAfterSuccess: rec.abortedAfterSuccess },
      });
    }
    this.emitHealth();
  }

  private async ready() {
    await this.start();
    return this.parts!;
  }

  private signal(own?: AbortSignal): AbortSignal {
    return own ? AbortSignal.any([own, this.closing.signal]) : this.closing.signal;
  }

  /** An ethers provider over the same endpoints (failover included), for advanced use. */
  async provider(): Promise<FailoverJsonRpcProvider> {
    const { chainId } = await this.ready();
    return (this.ethersProvider ??= new FailoverJsonRpcProvider(this.rpc, chainId));
  }

  /** Wallet balance in wei. */
  async getBalance(): Promise<bigint> {
    return (await this.ready()).queue.balance();
  }

  /**
   * createTask (SPEC §2 steps 2–3): simulated first, sent with a locally assigned nonce,
   * resolved after `confirmations` with the id from the TaskPending log. Calls with the same
   * `track.key` run one at a time, so a second one joins the first's transaction.
   */
  async createTask(req: CreateTaskRequest, opts: CreateTaskOptions = {}): Promise<CreatedTask> {
    const key = opts.track?.key;
    if (typeof key !== 'string') return this.sendTask(req, opts);
    // The caller's signal ends the wait; a close ends the call ahead, then this one (CLOSED).
    return this.perKey.run(key, () => this.sendTask(req, opts), opts.signal);
  }

  private async sendTask(req: CreateTaskRequest, opts: CreateTaskOptions): Promise<CreatedTask> {
    const { contract, watcher } = await this.ready();
    const signal = this.signal(opts.signal);
    const track = opts.track;
    let existingTxHash = opts.existingTxHash;
    let existingTx: Partial<SignedTx> | undefined;
    if (track) {
      const prior = await this.tracker.get(track.key);
      if (prior?.taskId && prior.createdBlock !== undefined && prior.txHash) {
        // Already created by an earlier call with this key: never pay twice.
        return {
          taskId: prior.taskId, txHash: prior.txHash, blockNumber: prior.createdBlock, creator: this.address,
          taskFee: prior.taskFee ?? '',
        };
      }
      if (!existingTxHash && prior?.txHash) {
        // An earlier call with this key handed a transaction to the node and got no answer.
        existingTxHash = prior.txHash;
        existingTx = { nonce: prior.txNonce, raw: prior.rawTx };
      }
      await this.tracker.put(track.key, { snapshot: track.snapshot, stage: track.stage ?? 'creating' });
    }
    // How far the transaction got: decides whether a failure may leave it in flight.
    let reached: 'nothing' | 'handed' | 'sent' = existingTxHash ? 'sent' : 'nothing';
    try {
      const created = await contract.createTask(req, {
        ...opts, signal, existingTxHash, existingTx,
        beforeBroadcast: async (txHash, signed) => {
          // The hash (and the bytes to re-send) are stored before the node sees them.
          if (track) await this.tracker.put(track.key, { txHash, txNonce: signed.nonce, rawTx: signed.raw });
          reached = 'handed';
        },
        onReplaced: (oldTxHash) => {
          reached = 'nothing';
          this.log.warn(`createTask: transaction ${oldTxHash} can never be mined (its nonce went to another transaction); sending a new one`);
        },
        onSent: async (txHash) => {
          reached = 'sent';
          await opts.onSent?.(txHash);
        },
      });
      if (track) {
        await this.tracker.put(track.key, {
          taskId: created.taskId, createdBlock: created.blockNumber, txHash: created.txHash, taskFee: created.taskFee,
          stage: track.stage ?? 'created',
        });
        watcher.watch(BigInt(created.taskId), { fromBlock: created.blockNumber, tracked: true });
      }
      return created;
    } catch (err) {
      if (track && !mayStillBeMined(reached, (err as CrynuxError).code)) await this.tracker.remove(track.key).catch(() => undefined);
      throw err;
    }
  }

  /** SPEC §2 step 4: signed upload of the exact argument string; "already uploaded" = success. */
  async uploadTaskArgs(taskId: string | bigint, taskArgs: string, opts: RetryOptions = {}): Promise<UploadResult> {
    const id = parseTaskId(taskId);
    const { watcher } = await this.ready();
    return this.relay.uploadTaskArgs(id, taskArgs, {
      ...opts,
      signal: this.signal(opts.signal),
      stopIf: () => {
        const o = watcher.known(id)?.outcome;
        return o?.status === 'aborted' ? new CrynuxError('TASK_ABORTED', `Task ${id} was aborted on chain (${o.abortReason})`) : undefined;
      },
    });
  }

  /** The first terminal event (SPEC §3.8), or 'timeout' (after cancelling, when asked). */
  async waitForOutcome(taskId: string | bigint, opts: WaitOptions = {}): Promise<TaskOutcome> {
    const id = parseTaskId(taskId);
    const { watcher } = await this.ready();
    const rec = await this.tracker.byTaskId(id.toString());
    const fromBlock = opts.fromBlock ?? rec?.createdBlock;
    return watcher.waitForOutcome(id, { ...opts, fromBlock, signal: this.signal(opts.signal) });
  }

  /** TaskResultUploaded (SPEC §3.8): the files are downloadable. Rejects if the task aborted. */
  async waitForResultUploaded(taskId: string | bigint, opts: RetryOptions & { fromBlock?: number } = {}): Promise<UploadedEvent> {
    const id = parseTaskId(taskId);
    const { watcher } = await this.ready();
    const rec = await this.tracker.byTaskId(id.toString());
    return watcher.waitForUploaded(id, { ...opts, fromBlock: opts.fromBlock ?? rec?.createdBlock, signal: this.signal(opts.signal) });
  }

  /** SPEC §2 step 6: files 0…n−1, checked (PNG / sha256), retried while not yet uploaded. */
  async downloadResults(taskId: string | bigint, taskType: 0 | 1, opts: DownloadOptions & { maxAttempts?: number } = {}): Promise<DownloadedResults> {
    const id = parseTaskId(taskId);
    const { watcher } = await this.ready();
    const known = () => watcher.known(id);
    const seen = known()?.outcome;
    const result = opts.result ?? (seen?.status === 'success' ? seen.result : undefined);
    return downloadResults(this.relay, id, taskType, {
      ...opts, result, signal: this.signal(opts.signal),
      // SPEC §4.6: for D, stop retrying once the task is known to be aborted.
      stopIf: () => {
        const k = known();
        const reason = k?.abortedAfterSuccess ?? (k?.outcome?.status === 'aborted' ? k.outcome.abortReason : undefined);
        return reason !== undefined && !k?.uploaded ? taskAbortedError(id, reason) : undefined;
      },
    });
  }

  /**
   * Waits until the results can be downloaded, then downloads them, all within `timeoutMs`.
   * The result node uploads the files and only then reports TaskResultUploaded on chain
   * (SPEC §7.4), so the relay usually has them a little earlier: when the success is known,
   * one early attempt runs first, and a "not uploaded yet" answer just falls back to waiting
   * for the event (SPEC §8 trap 10). That costs at most one extra request per file.
   */
  async fetchResults(taskId: string | bigint, taskType: 0 | 1, opts: FetchOptions = {}): Promise<DownloadedResults> {
    const id = parseTaskId(taskId);
    const { watcher } = await this.ready();
    const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
    const left = () => Math.max(deadline - Date.now(), 1);
    const seen = watcher.known(id)?.outcome;
    const result = opts.result ?? (seen?.status === 'success' ? seen.result : undefined);
    if (!watcher.known(id)?.uploaded && result !== undefined) {
      opts.onStage?.('downloading');
      try {
        return await this.downloadResults(id, taskType, { ...opts, result, onRetry: undefined, maxAttempts: 1, timeoutMs: left() });
      } catch (err) {
        if (!(err instanceof TimeoutError)) throw err; // only "not there yet" falls back to waiting
      }
    }
    if (!watcher.known(id)?.uploaded) {
      opts.onStage?.('waiting');
      await this.waitForResultUploaded(id, { fromBlock: opts.fromBlock, signal: opts.signal, timeoutMs: left() });
    }
    opts.onStage?.('downloading');
    return this.downloadResults(id, taskType, { ...opts, result, timeoutMs: left() });
  }

  /** cancelTask (SPEC §3.9); reverts with the contract's reason when not allowed yet. */
  async cancelTask(taskId: string | bigint): Promise<CancelledTask> {
    const id = parseTaskId(taskId);
    return (await this.ready()).contract.cancelTask(id, this.closing.signal);
  }

  /** SPEC §3.7 state, with getTask's tuple while the task runs. */
  async getTaskInfo(taskId: string | bigint): Promise<{ state: ChainTaskState; info?: ChainTaskInfo }> {
    return (await this.ready()).contract.taskState(parseTaskId(taskId));
  }

  /** Used by waitForOutcome's cancelOnTimeout: cancel only once the contract allows it. */
  private async cancelIfDue(id: bigint): Promise<CancelResult> {
    const { contract } = await this.ready();
    const { state, info } = await contract.taskState(id);
    if (state === 'running' && info && (await contract.chainTime()) <= info.timeout) return { kind: 'not-due' };
    if (state === 'finished') {
      // Without a TaskQueue address a queued task also looks finished: ask the contract.
      if (contract.taskQueueAddress) return { kind: 'gone' };
      const can = await contract.canCancel(id);
      if (!can.ok) return { kind: 'gone' };
    }
    const r = await contract.cancelTask(id, this.closing.signal);
    this.log.info(`Cancelled task ${id} after the wait timed out (tx ${r.txHash})`);
    return { kind: 'cancelled', ...r };
  }

  // ---- crash-safety records ----

  /**
   * Records of tracked jobs (see CreateTaskOptions.track) on the connected chain, e.g. to
   * resume after a restart. Connects first: records of another chain are not listed.
   */
  async listTracked(): Promise<TrackedTask[]> {
    await this.start();
    return this.tracker.list();
  }

  /**
   * Which chain this client is on: its id and the hash of its block 0 (undefined when the node
   * does not serve it). Store it beside anything kept across restarts that names a task id:
   * ids start from 1 again on a reset chain with the same id.
   */
  async chain(): Promise<{ chainId: number; genesisHash?: string }> {
    const { chainId, genesisHash } = await this.ready();
    return { chainId, genesisHash };
  }

  updateTracked(key: string, patch: Pick<TrackedTaskPatch, 'snapshot' | 'stage'>): Promise<TrackedTask> {
    return this.tracker.put(key, { snapshot: patch.snapshot, stage: patch.stage });
  }

  /** Forgets a job once its result was delivered (exactly once). */
  async untrack(key: string): Promise<void> {
    const rec = await this.tracker.get(key);
    await this.tracker.remove(key);
    if (rec?.taskId && this.parts) this.parts.watcher.untrack(BigInt(rec.taskId));
  }

  // ---- health and shutdown ----

  health(): ClientHealth {
    return {
      rpcUrl: this.rpc.url,
      lastError: this.rpc.lastError ?? this.watcherError,
      pending: this.parts?.watcher.pendingCount ?? 0,
      cursor: this.parts?.watcher.cursor,
      eventSource: this.parts?.watcher.mode,
    };
  }

  private emitHealth(): void {
    const h = this.health();
    const key = JSON.stringify({ ...h, cursor: undefined });
    if (key === this.lastHealth) return;
    this.lastHealth = key;
    this.emit('health', h);
  }

  /**
   * Stops the watcher and every wait or retry in progress; clears all timers. Resolves once
   * the store writes already under way have landed; after that this client neither writes to
   * the store nor broadcasts, so a successor on the same store (a redeploy) sees every record.
   */
  async close(): Promise<void> {
    if (!this.closing.signal.aborted) this.closing.abort(new AbortedError('The client was closed'));
    await this.parts?.watcher.close();
    await this.tracker.close();
    this.ethersProvider?.destroy();
    this.removeAllListeners('health');
  }
}
