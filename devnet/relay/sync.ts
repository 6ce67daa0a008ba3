/**
 * Indexes the Task contract's events into the relay's status machine (SPEC §4.4) by
 * polling eth_getLogs, like the real relay's once-a-second block sync: no confirmations,
 * and every event becomes visible `lagMs` after it was fetched.
 */
import { taskInterface, decodeTaskLog, type TaskEvent } from '../../lib/protocol';
import { blockNumber, getLogs, rpc, type RpcLog } from './rpc';
import type { TaskStore } from './store';

export interface ChainSyncOptions {
  rpcUrl: string;
  taskAddress: string;
  store: TaskStore;
  intervalMs: number;
  lagMs: number;
  fromBlock?: number;
  log?: (line: string) => void;
  /** Called after a round that changed something. */
  onApplied?: () => void;
}

interface Queued {
  event: TaskEvent;
  log: RpcLog;
  dueAt: number;
}

export class ChainSync {
  private cursor: number;
  private readonly queue: Queued[] = [];
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: ChainSyncOptions) {
    this.cursor = o.fromBlock ?? 0;
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.run(false).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.o.intervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Fetches up to the latest block and applies everything, ignoring the lag (tests). */
  syncNow(): Promise<void> {
    return this.run(true);
  }

  /** One sync round; rounds never overlap. */
  private run(ignoreLag: boolean): Promise<void> {
    this.running = this.running.then(() => this.round(ignoreLag)).catch((err) => {
      this.o.log?.(`relay sync: ${err instanceof Error ? err.message : String(err)}`);
    });
    return this.running;
  }

  private async round(ignoreLag: boolean): Promise<void> {
    const latest = await blockNumber(this.o.rpcUrl);
    if (latest >= this.cursor) {
      const logs = await getLogs(this.o.rpcUrl, { address: this.o.taskAddress }, this.cursor, latest);
      const dueAt = Date.now() + this.o.lagMs;
      for (const log of logs) {
        const event = decodeTaskLog({ address: log.address, topics: log.topics, data: log.data }, this.o.taskAddress);
        if (event) this.queue.push({ event, log, dueAt });
      }
      this.cursor = latest + 1;
    }
    const now = Date.now();
    let applied = 0;
    while (this.queue.length > 0 && (ignoreLag || this.queue[0].dueAt <= now)) {
      await this.apply(this.queue[0]);
      this.queue.shift();
      applied++;
    }
    if (applied > 0) this.o.onApplied?.();
  }

  private async apply({ event, log }: Queued): Promise<void> {
    const store = this.o.store;
    switch (event.name) {
      case 'TaskPending':
        store.onPending({
          taskId: event.taskId,
          taskType: Number(event.taskType),
          creator: event.creator,
          taskHash: event.taskHash,
          dataHash: event.dataHash,
          vramLimit: await this.vramLimitOf(log.transactionHash),
        });
        break;
      case 'TaskStarted':
        store.onStarted(event.taskId, event.selectedNode, event.round);
        break;
      case 'TaskSuccess':
        store.onSuccess(event.taskId, event.result, event.resultNode);
        break;
      case 'TaskAborted':
        store.onAborted(event.taskId, event.reason);
        break;
      default:
        break;
    }
  }

  /** TaskPending carries no vramLimit: read it from the createTask call data. */
  private async vramLimitOf(txHash: string): Promise<bigint> {
    try {
      const tx = await rpc<{ input: string } | null>(this.o.rpcUrl, 'eth_getTransactionByHash', [txHash]);
      if (!tx) return 0n;
      const args = taskInterface.decodeFunctionData('createTask', tx.input);
      return args.vramLimit as bigint;
    } catch {
      return 0n; // created through another contract: the relay does not know
    }
  }
}
