/**
 * One simulated GPU node (SPEC §7): join with 400 ether, take tasks from `TaskStarted`
 * (topic2 = this node), fetch the arguments from the relay, compute a deterministic
 * result, commit, disclose, and as result node upload the files and report. Prompt
 * markers (markers.ts) bend this to force each outcome of SPEC §7.5.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hexlify, keccak256, parseEther } from 'ethers';
import { nodeInterface, taskInterface, type TaskEvent } from '../../lib/protocol';
import { validateTaskArgs } from '../../lib/task-args';
import { markersOf } from './markers';
import { relayGetTask, relayUploadResults } from './relay-calls';
import { gptReplyFile, gptResult, sdImages, sdRequestOf, sdRequestProblem, sdResult } from './results';
import { TxRevertedError, TxSender, packResultAndNonce } from './tx';
import type { TaskEventWatcher } from './watcher';

/** Node.join stake (SPEC §7.1). */
export const NODE_STAKE = parseEther('400');

export interface WorkerConfig {
  rpcUrl: string;
  relayUrl: string;
  taskAddress: string;
  nodeAddress: string;
  privateKey: string;
  gpuName: string;
  gpuVram: number;
  pollIntervalMs: number;
  watcher: TaskEventWatcher;
  log: (line: string) => void;
}

/** Relay answers worth waiting out: the relay has not indexed the chain yet (SPEC §4.6). */
const RELAY_NOT_YET = new Set(['Task not found', 'Task not ready', 'Task not success', 'Invalid signature']);
/** How long a node keeps asking the relay (real nodes: up to 30 min, SPEC §7.2). */
const RELAY_PATIENCE_MS = 15 * 60_000;

export class SimWorker {
  readonly address: string;
  private readonly tx: TxSender;
  private readonly stopper = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private joining?: Promise<void>;

  constructor(private readonly c: WorkerConfig) {
    this.tx = new TxSender(c.rpcUrl, c.privateKey);
    this.address = this.tx.address;
    setMaxListeners(0, this.stopper.signal); // one listener per waiting task
    c.watcher.onEvent((e) => this.onEvent(e));
  }

  private log(line: string): void {
    this.c.log(`worker ${this.address.slice(0, 8)}: ${line}`);
  }

  private async nodeStatus(): Promise<number> {
    const data = nodeInterface.encodeFunctionData('getNodeStatus', [this.address]);
    const out = await this.tx.simulate(this.c.nodeAddress, data, 'getNodeStatus');
    return Number(nodeInterface.decodeFunctionResult('getNodeStatus', out)[0]);
  }

  /** Joins unless already in the network (status ≠ QUIT); also used to come back after a slash. */
  join(): Promise<void> {
    return (this.joining ??= (async () => {
      try {
        if ((await this.nodeStatus()) !== 0 || this.stopper.signal.aborted) return;
        const data = nodeInterface.encodeFunctionData('join', [this.c.gpuName, this.c.gpuVram]);
        await this.tx.send(this.c.nodeAddress, data, 'join', NODE_STAKE);
        this.log(`joined (${this.c.gpuName}, ${this.c.gpuVram} GB)`);
      } finally {
        this.joining = undefined;
      }
    })());
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await Promise.allSettled([...this.running]);
  }

  private onEvent(e: TaskEvent): void {
    if (e.name !== 'TaskStarted' || e.selectedNode.toLowerCase() !== this.address.toLowerCase()) return;
    if (this.stopper.signal.aborted) return;
    const job = this.runTask(e.taskId, e.round, Number(e.taskType))
      .catch((err) => this.log(`task ${e.taskId}: ${err instanceof Error ? err.message : String(err)}`))
      .then(() => this.afterTask())
      .catch((err) => this.log(`rejoin failed: ${err instanceof Error ? err.message : String(err)}`));
    this.running.add(job);
    job.finally(() => this.running.delete(job));
  }

  /** A slashed node is out of the network; the devnet brings it back so the next tasks find 3 nodes. */
  private async afterTask(): Promise<void> {
    if (!this.stopper.signal.aborted && (await this.nodeStatus()) === 0) await this.join();
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stopper.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private aborted(taskId: bigint): boolean {
    return this.stopper.signal.aborted || this.c.watcher.view(taskId).abortReason !== undefined;
  }

  private async call(label: string, fn: string, args: unknown[]): Promise<boolean> {
    try {
      await this.tx.send(this.c.taskAddress, taskInterface.encodeFunctionData(fn, args), label);
      return true;
    } catch (err) {
      if (!(err instanceof TxRevertedError)) throw err;
      this.log(err.message);
      return false;
    }
  }

  private reportError(taskId: bigint, round: bigint, why: string): Promise<boolean> {
    this.log(`task ${taskId}: reporting an error (${why})`);
    return this.call(`reportTaskError(${taskId})`, 'reportTaskError', [taskId, round]);
  }

  /** B with retries until the relay has the arguments and knows the 3 nodes (SPEC §7.2). */
  private async fetchArgs(taskId: bigint): Promise<string | undefined> {
    const deadline = Date.now() + RELAY_PATIENCE_MS;
    while (!this.aborted(taskId) && Date.now() < deadline) {
      try {
        const a = await relayGetTask(this.c.relayUrl, this.c.privateKey, taskId);
        if (a.ok) return (a.data as { task_args: string }).task_args;
        if (!RELAY_NOT_YET.has(a.message)) this.log(`task ${taskId}: relay answered ${a.status} ${a.message}`);
      } catch (err) {
        this.log(`task ${taskId}: relay unreachable (${(err as Error).message})`);
      }
      await this.sleep(this.c.pollIntervalMs);
    }
    return undefined;
  }

  /** The whole life of one (taskId, round) on this node. */
  private async runTask(taskId: bigint, round: bigint, taskType: number): Promise<void> {
    const signal = this.stopper.signal;
    const view = this.c.watcher.view(taskId);
    this.log(`task ${taskId}: selected for round ${round}`);
    const argsText = await this.fetchArgs(taskId);
    if (argsText === undefined) return this.afterAbort(taskId, round);

    const check = validateTaskArgs(taskType, argsText, { allowUnknownKeys: true });
    if (!check.valid) return void (await this.reportError(taskId, round, `invalid arguments: ${check.issues[0].path} ${check.issues[0].message}`));
    const args = JSON.parse(argsText) as Record<string, unknown>;
    const sd = taskType === 0 ? sdRequestOf(args) : undefined;
    const problem = sd && sdRequestProblem(sd);
    if (problem) return void (await this.reportError(taskId, round, problem));

    const m = markersOf(taskType, args);
    if (m.stuck) return this.log(`task ${taskId}: [devnet:stuck], staying silent`);
    if (m.error) {
      // Two nodes report; the third finds the task aborted and reports too, as real nodes do.
      if (round < 2n) return void (await this.reportError(taskId, round, '[devnet:error]'));
      await this.c.watcher.until(() => view.abortReason, signal);
      return this.afterAbort(taskId, round);
    }
    if (m.slowMs > 0) await this.sleep(m.slowMs);
    if (this.aborted(taskId)) return this.afterAbort(taskId, round);

    const variant = m.illegal ? `illegal-${round}` : m.slash && round === 2n ? 'slash' : '';
    const files = sd ? sdImages(sd, variant) : [gptReplyFile(args, variant)];
    const result = sd ? sdResult(files) : gptResult(files[0]);

    // Commit with a fresh nonce (public from here on), then disclose once all three committed.
    const nonce = hexlify(randomBytes(32));
    const commitment = keccak256(packResultAndNonce(result, nonce));
    if (!(await this.call(`commit(${taskId})`, 'submitTaskResultCommitment', [taskId, round, commitment, nonce]))) {
      return this.afterAbort(taskId, round);
    }
    await this.c.watcher.until(() => view.commitmentsReady || view.abortReason !== undefined, signal);
    if (this.aborted(taskId)) return;
    if (!(await this.call(`disclose(${taskId})`, 'discloseTaskResult', [taskId, round, result]))) return;

    await this.c.watcher.until(() => view.success ?? view.abortReason, signal);
    const success = view.success;
    if (!success || success.resultNode.toLowerCase() !== this.address.toLowerCase()) return;
    if (m.noUpload) return this.log(`task ${taskId}: [devnet:no-upload], not uploading`);
    if (await this.upload(taskId, files, sd ? 'png' : 'json')) {
      await this.call(`reportResultsUploaded(${taskId})`, 'reportResultsUploaded', [taskId, round]);
      this.log(`task ${taskId}: results uploaded and reported`);
    }
  }

  /** C with retries while the relay catches up with TaskSuccess. */
  private async upload(taskId: bigint, files: Buffer[], ext: 'png' | 'json'): Promise<boolean> {
    const deadline = Date.now() + RELAY_PATIENCE_MS;
    while (!this.aborted(taskId) && Date.now() < deadline) {
      try {
        const a = await relayUploadResults(this.c.relayUrl, this.c.privateKey, taskId, files, ext);
        if (a.ok) return true;
        if (!RELAY_NOT_YET.has(a.message)) {
          this.log(`task ${taskId}: upload refused: ${a.status} ${a.message}`);
          return false;
        }
      } catch (err) {
        this.log(`task ${taskId}: relay unreachable (${(err as Error).message})`);
      }
      await this.sleep(this.c.pollIntervalMs);
    }
    return false;
  }

  /**
   * After an abort: a node that is still bound to the task and has not committed reports
   * an error, which releases it (and pays it for an error-reported task, SPEC §7.5).
   */
  private async afterAbort(taskId: bigint, round: bigint): Promise<void> {
    if (this.stopper.signal.aborted) return;
    const data = taskInterface.encodeFunctionData('getNodeTask', [this.address]);
    const bound = BigInt(await this.tx.simulate(this.c.taskAddress, data, 'getNodeTask')) === taskId;
    if (bound) await this.reportError(taskId, round, `task aborted: ${this.c.watcher.view(taskId).abortReason ?? 'unknown'}`);
  }
}
