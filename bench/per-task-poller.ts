/**
 * BASELINE (not our code path): per-task status polling, the straightforward way of waiting
 * for N tasks. Every pending task runs its own loop and asks the chain for its state each
 * interval (SPEC §3.7): getTask(id) (running) or TaskQueue.include(id) (queued), trying first
 * whichever answered last time, so a task costs one call per interval in the steady state;
 * once neither holds, one eth_getLogs by task id (topic1) reads the terminal event (§3.8).
 */
import { toBeHex, zeroPadValue } from 'ethers';
import { decodeTaskLog, TASK_EVENT_TOPICS, taskInterface, taskQueueInterface } from '../lib/protocol';
import { rpc, type RpcLog } from '../devnet/relay/rpc';
import { sleep } from './stats';

export interface PollerOptions {
  rpcUrl: string;
  taskAddress: string;
  taskQueueAddress: string;
  intervalMs: number;
}

export type PolledOutcome = { name: 'TaskSuccess' | 'TaskAborted'; blockNumber: number };

export class PerTaskPoller {
  /** Status checks started (one per task per interval). */
  checks = 0;
  /** JSON-RPC calls made. */
  calls = 0;
  /** Tasks past their first check (which may take two calls). */
  settled = 0;
  private stopped = false;

  constructor(private readonly o: PollerOptions) {}

  private call<T>(method: string, params: unknown[]): Promise<T> {
    this.calls++;
    return rpc<T>(this.o.rpcUrl, method, params);
  }

  private async running(id: bigint): Promise<boolean> {
    const data = taskInterface.encodeFunctionData('getTask', [id]);
    const out = await this.call<string>('eth_call', [{ to: this.o.taskAddress, data }, 'latest']);
    // SPEC §3.7: the tuple's id is 0 unless the task is running.
    const [info] = taskInterface.decodeFunctionResult('getTask', out) as unknown as [{ id: bigint }];
    return info.id !== 0n;
  }

  private async queued(id: bigint): Promise<boolean> {
    const data = taskQueueInterface.encodeFunctionData('include', [id]);
    const out = await this.call<string>('eth_call', [{ to: this.o.taskQueueAddress, data }, 'latest']);
    return Boolean(taskQueueInterface.decodeFunctionResult('include', out)[0]);
  }

  private async terminal(id: bigint, fromBlock: number): Promise<PolledOutcome | undefined> {
    const logs = await this.call<RpcLog[]>('eth_getLogs', [
      {
        address: this.o.taskAddress,
        fromBlock: toBeHex(fromBlock),
        toBlock: 'latest',
        topics: [[TASK_EVENT_TOPICS.TaskSuccess, TASK_EVENT_TOPICS.TaskAborted], zeroPadValue(toBeHex(id), 32)],
      },
    ]);
    for (const l of logs) {
      const ev = decodeTaskLog({ address: l.address, topics: l.topics, data: l.data }, this.o.taskAddress);
      if (ev && (ev.name === 'TaskSuccess' || ev.name === 'TaskAborted')) return { name: ev.name, blockNumber: Number(l.blockNumber) };
    }
    return undefined;
  }

  /** Waits for one task with its own loop; resolves with its first terminal event (or undefined when stopped). */
  async wait(id: bigint, fromBlock: number): Promise<PolledOutcome | undefined> {
    let hint: 'running' | 'queued' = 'running';
    for (let round = 0; !this.stopped; round++) {
      if (round === 1) this.settled++;
      this.checks++;
      const first: boolean = hint === 'running' ? await this.running(id) : await this.queued(id);
      let state: 'running' | 'queued' | 'finished' = first ? hint : 'finished';
      if (!first) {
        const other = hint === 'running' ? await this.queued(id) : await this.running(id);
        if (other) state = hint === 'running' ? 'queued' : 'running';
      }
      if (state === 'finished') {
        const outcome = await this.terminal(id, fromBlock);
        if (outcome) return outcome;
      } else {
        hint = state;
      }
      await sleep(this.o.intervalMs);
    }
    return undefined;
  }

  stop(): void {
    this.stopped = true;
  }
}
