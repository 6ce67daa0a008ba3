/**
 * Parent side of bench/devnet-host.ts: starts a devnet in a child process and collects the
 * time stamps of its terminal Task events (TaskSuccess, TaskAborted, TaskResultUploaded).
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface HostOptions {
  workers?: number;
  queueSizeLimit?: number;
  blockTime?: number;
  taskTimeoutSeconds?: number;
  /** Poll the chain this often (ms) to time-stamp events; 0 = no observer. */
  observeMs?: number;
}

export interface DevnetInfo {
  rpcUrl: string;
  chainId: number;
  taskAddress: string;
  taskQueueAddress: string;
  relayUrl: string;
  appPrivateKey: string;
  appAddress: string;
  spareKeys: string[];
  workers: number;
  pid: number;
}

export interface ObservedEvent {
  name: 'TaskSuccess' | 'TaskAborted' | 'TaskResultUploaded';
  taskId: string;
  blockNumber: number;
  /** Wall ms: the block was mined after this moment … */
  after: number;
  /** … and before this one. */
  by: number;
}

export interface BlindResult {
  taskId: string;
  /** Wall ms when the last file arrived. */
  doneAt: number;
  requests: number;
  error?: string;
}

export type HostMessage =
  | { type: 'ready'; info: DevnetInfo }
  | { type: 'event'; event: ObservedEvent }
  | ({ type: 'blind' } & BlindResult)
  | { type: 'proxies'; rpcUrl: string; relayUrl: string }
  | { type: 'counts'; rpc: Record<string, number>; relay: Record<string, number> }
  | { type: 'error'; message: string };

export type HostCommand =
  | { cmd: 'stop' }
  | { cmd: 'blind'; taskId: string; cap: number; everyMs: number }
  | { cmd: 'proxies' }
  | { cmd: 'counts'; reset: boolean };

export interface Counts {
  rpc: Record<string, number>;
  relay: Record<string, number>;
}

export const totalOf = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);

export class DevnetProcess {
  private readonly events = new Map<string, ObservedEvent>();
  private readonly waiters = new Map<string, Array<(e: ObservedEvent) => void>>();
  private readonly blinds = new Map<string, (r: BlindResult) => void>();
  private readonly replies = new Map<string, (m: HostMessage) => void>();
  private failure: string | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly info: DevnetInfo,
  ) {
    child.on('message', (m: HostMessage) => {
      if (m.type === 'event') {
        const key = `${m.event.name}:${m.event.taskId}`;
        if (this.events.has(key)) return;
        this.events.set(key, m.event);
        for (const w of this.waiters.get(key) ?? []) w(m.event);
        this.waiters.delete(key);
      } else if (m.type === 'blind') {
        this.blinds.get(m.taskId)?.(m);
        this.blinds.delete(m.taskId);
      } else if (m.type === 'proxies' || m.type === 'counts') {
        this.replies.get(m.type)?.(m);
        this.replies.delete(m.type);
      } else if (m.type === 'error') {
        this.failure = m.message;
        console.error(`bench devnet: ${m.message}`);
      }
    });
  }

  static start(opts: HostOptions): Promise<DevnetProcess> {
    const entry = path.join(__dirname, 'devnet-host.js');
    const child = fork(entry, [JSON.stringify(opts)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the bench devnet exited early (code ${code})`));
      child.once('exit', onExit);
      child.on('message', function first(m: HostMessage) {
        if (m.type === 'ready') {
          child.off('message', first);
          child.off('exit', onExit);
          resolve(new DevnetProcess(child, m.info));
        } else if (m.type === 'error') {
          child.off('exit', onExit);
          child.kill();
          reject(new Error(`the bench devnet failed to start: ${m.message}`));
        }
      });
    });
  }

  /** The observed event, if seen yet. */
  event(name: ObservedEvent['name'], taskId: string): ObservedEvent | undefined {
    return this.events.get(`${name}:${taskId}`);
  }

  /** Resolves once the observer has seen the event (or after `timeoutMs` with undefined). */
  waitForEvent(name: ObservedEvent['name'], taskId: string, timeoutMs = 10_000): Promise<ObservedEvent | undefined> {
    const seen = this.event(name, taskId);
    if (seen) return Promise.resolve(seen);
    const key = `${name}:${taskId}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      const list = this.waiters.get(key) ?? [];
      list.push((e) => {
        clearTimeout(timer);
        resolve(e);
      });
      this.waiters.set(key, list);
    });
  }

  /**
   * BASELINE: the host downloads the task's files retrying blindly every `everyMs` (see
   * raw-app blindDownload); resolves when it has them.
   */
  blindDownload(taskId: string, cap: number, everyMs = 1000): Promise<BlindResult> {
    return new Promise((resolve) => {
      this.blinds.set(taskId, resolve);
      this.child.send({ cmd: 'blind', taskId, cap, everyMs } satisfies HostCommand);
    });
  }

  private ask<T extends HostMessage['type']>(cmd: HostCommand, reply: T): Promise<Extract<HostMessage, { type: T }>> {
    return new Promise((resolve) => {
      this.replies.set(reply, resolve as (m: HostMessage) => void);
      this.child.send(cmd);
    });
  }

  /**
   * Counting proxies (bench/rpc-proxy.ts) in front of the devnet's RPC and relay, run in the
   * host process so that their CPU is not counted as the measured client's.
   */
  async startProxies(): Promise<{ rpcUrl: string; relayUrl: string }> {
    const m = await this.ask({ cmd: 'proxies' }, 'proxies');
    return { rpcUrl: m.rpcUrl, relayUrl: m.relayUrl };
  }

  /** Calls counted by the proxies so far (then zeroed when `reset`). */
  async counts(reset = false): Promise<Counts> {
    const m = await this.ask({ cmd: 'counts', reset }, 'counts');
    return { rpc: m.rpc, relay: m.relay };
  }

  get error(): string | undefined {
    return this.failure;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    if (this.child.connected) this.child.send({ cmd: 'stop' });
    else this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
