/**
 * One eth_getLogs poller for all simulated workers of a devnet. It keeps a per-task view
 * of the Task events (started rounds, commitments ready, success, abort) and wakes the
 * workers' waits after every poll.
 */
import { decodeTaskLog, type TaskEvent } from '../../lib/protocol';
import { blockNumber, getLogs } from '../relay/rpc';

export interface TaskView {
  commitmentsReady: boolean;
  success?: { result: string; resultNode: string };
  abortReason?: string;
}

export class TaskEventWatcher {
  private cursor = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private current: Promise<void> = Promise.resolve();
  private readonly tasks = new Map<string, TaskView>();
  private readonly listeners = new Set<(e: TaskEvent) => void>();
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly rpcUrl: string,
    private readonly taskAddress: string,
    private readonly intervalMs: number,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts at the current block: earlier tasks are none of the workers' business. */
  async start(): Promise<void> {
    this.cursor = (await blockNumber(this.rpcUrl)) + 1;
    const tick = () => {
      if (this.stopped) return;
      this.current = this.poll().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.current;
    for (const w of [...this.wakers]) w();
  }

  onEvent(listener: (e: TaskEvent) => void): void {
    this.listeners.add(listener);
  }

  view(taskId: bigint): TaskView {
    let v = this.tasks.get(taskId.toString());
    if (!v) this.tasks.set(taskId.toString(), (v = { commitmentsReady: false }));
    return v;
  }

  /** Resolves with the first truthy value of `probe`, checked after every poll; undefined once stopped or aborted. */
  async until<T>(probe: () => T | undefined | false, signal: AbortSignal): Promise<T | undefined> {
    for (;;) {
      const v = probe();
      if (v) return v;
      if (this.stopped || signal.aborted) return undefined;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.wakers.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        this.wakers.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  private async poll(): Promise<void> {
    try {
      const latest = await blockNumber(this.rpcUrl);
      if (latest < this.cursor) return;
      const logs = await getLogs(this.rpcUrl, { address: this.taskAddress }, this.cursor, latest);
      this.cursor = latest + 1;
      for (const log of logs) {
        const e = decodeTaskLog({ address: log.address, topics: log.topics, data: log.data }, this.taskAddress);
        if (!e) continue;
        const v = this.view(e.taskId);
        if (e.name === 'TaskResultCommitmentsReady') v.commitmentsReady = true;
        else if (e.name === 'TaskSuccess') v.success ??= { result: e.result, resultNode: e.resultNode };
        else if (e.name === 'TaskAborted') v.abortReason ??= e.reason;
        for (const l of this.listeners) l(e);
      }
    } catch (err) {
      if (!this.stopped) this.log(`workers: event poll failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      for (const w of [...this.wakers]) w();
    }
  }
}
