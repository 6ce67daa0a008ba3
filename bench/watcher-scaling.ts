/**
 * Item 1 "watcher scaling" and the memory half of item 5: RPC calls while N tasks are
 * pending, for our shared block watcher and for per-task status polling (the baseline),
 * counted by the host's proxy, one after the other (never side by side, so neither slows the
 * other's timers). The pending tasks are real queued tasks (a devnet without workers), so the
 * baseline pays what it would pay on a real network; they never finish.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CrynuxClient } from '../lib/client';
import { blockNumber } from '../devnet/relay/rpc';
import { DevnetProcess, totalOf, type DevnetInfo } from './devnet-child';
import { PerTaskPoller } from './per-task-poller';
import { RawApp } from './raw-app';
import { sleep, summarise, type Summary } from './stats';

export interface ScalingOptions {
  ns: number[];
  /** Measurement windows per N and method. */
  reps: number;
  windowMs: number;
  pollMs: number;
  /** Tasks registered for the memory figure. */
  memoryTasks: number;
  log: (line: string) => void;
}

export interface ScalingRow {
  n: number;
  ours: { perPoll: Summary; perMinute: Summary; methods: Record<string, number> };
  baseline: { perPoll: Summary; perMinute: Summary; intervalMs: Summary; methods: Record<string, number> };
  /** baseline ÷ ours: the medians of calls per minute. */
  ratioPerMinute: number;
}

export interface ScalingResult {
  pollMs: number;
  windowMs: number;
  reps: number;
  setupMs: number;
  rows: ScalingRow[];
  memory: { tasks: number; bytesPerTask: Summary };
}

export function benchClient(info: DevnetInfo, rpcUrl: string, pollIntervalMs: number): CrynuxClient {
  return new CrynuxClient({
    rpcUrls: [rpcUrl], chainId: info.chainId, taskAddress: info.taskAddress, taskQueueAddress: info.taskQueueAddress,
    relayUrl: info.relayUrl, privateKey: info.appPrivateKey, pollIntervalMs,
  });
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Ours: one client, N waits; a poll is exactly one eth_blockNumber. */
async function measureOurs(host: DevnetProcess, rpcUrl: string, ids: bigint[], o: ScalingOptions) {
  const info = host.info;
  const client = benchClient(info, rpcUrl, o.pollMs);
  const stop = new AbortController();
  const perPoll: number[] = [];
  const perMinute: number[] = [];
  const methods: Record<string, number> = {};
  try {
    await client.start();
    const head = await blockNumber(info.rpcUrl);
    for (const id of ids) client.waitForOutcome(id, { fromBlock: head, signal: stop.signal }).catch(() => undefined);
    await sleep(o.pollMs * 1.5); // the first poll (catch-up from `head`) is not steady state
    const pending = client.health().pending;
    if (pending !== ids.length) throw new Error(`scaling: the watcher has ${pending} pending tasks, expected ${ids.length}`);
    for (let r = 0; r < o.reps; r++) {
      await host.counts(true);
      const t0 = performance.now();
      await sleep(o.windowMs);
      const counts = (await host.counts(true)).rpc;
      const dt = performance.now() - t0;
      const calls = totalOf(counts);
      const polls = counts.eth_blockNumber ?? 0;
      perPoll.push(polls ? calls / polls : NaN);
      perMinute.push((calls / dt) * 60_000);
      addCounts(methods, counts);
    }
  } finally {
    stop.abort();
    await client.close();
  }
  return { perPoll: summarise(perPoll), perMinute: summarise(perMinute), methods };
}

/**
 * The baseline: calls per poll = calls per round in which every task checked once (counted by
 * the poller); calls per minute as the RPC saw them. `intervalMs` is the round time reached.
 */
async function measureBaseline(host: DevnetProcess, rpcUrl: string, ids: bigint[], o: ScalingOptions) {
  const info = host.info;
  const poller = new PerTaskPoller({ rpcUrl, taskAddress: info.taskAddress, taskQueueAddress: info.taskQueueAddress, intervalMs: o.pollMs });
  const perPoll: number[] = [];
  const perMinute: number[] = [];
  const interval: number[] = [];
  const methods: Record<string, number> = {};
  const head = await blockNumber(info.rpcUrl);
  const loops = ids.map((id) => poller.wait(id, head).catch(() => undefined));
  try {
    const warm = performance.now() + 60_000;
    while (poller.settled < ids.length && performance.now() < warm) await sleep(50);
    await sleep(o.pollMs);
    for (let r = 0; r < o.reps; r++) {
      await host.counts(true);
      const [checks0, calls0] = [poller.checks, poller.calls];
      const t0 = performance.now();
      await sleep(o.windowMs);
      const counts = (await host.counts(true)).rpc;
      const dt = performance.now() - t0;
      const rounds = (poller.checks - checks0) / ids.length;
      perPoll.push(rounds ? (poller.calls - calls0) / rounds : NaN);
      perMinute.push((totalOf(counts) / dt) * 60_000);
      interval.push(rounds ? dt / rounds : NaN);
      addCounts(methods, counts);
    }
  } finally {
    poller.stop();
    await Promise.all(loops);
  }
  return { perPoll: summarise(perPoll), perMinute: summarise(perMinute), intervalMs: summarise(interval), methods };
}

/** Heap bytes per pending waitForOutcome in the watcher (after GC, steady state). */
async function measureMemory(info: DevnetInfo, tasks: number, reps: number, pollMs: number): Promise<Summary> {
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(20);
    }
    return process.memoryUsage().heapUsed;
  };
  const out: number[] = [];
  for (let r = 0; r < reps; r++) {
    const client = benchClient(info, info.rpcUrl, pollMs);
    const stop = new AbortController();
    try {
      await client.start();
      const head = await blockNumber(info.rpcUrl);
      // One task registered and polled first, so the loop's own allocations are in the baseline.
      client.waitForOutcome(10n ** 12n, { fromBlock: head, signal: stop.signal }).catch(() => undefined);
      await sleep(pollMs * 1.5);
      const before = await heap();
      for (let i = 1; i <= tasks; i++) client.waitForOutcome(10n ** 12n + BigInt(i), { fromBlock: head, signal: stop.signal }).catch(() => undefined);
      await sleep(pollMs * 1.5);
      const after = await heap();
      if (client.health().pending !== tasks + 1) throw new Error(`memory: ${client.health().pending} pending, expected ${tasks + 1}`);
      out.push((after - before) / tasks);
    } finally {
      stop.abort();
      await client.close();
    }
  }
  return summarise(out);
}

export async function benchWatcherScaling(o: ScalingOptions): Promise<ScalingResult> {
  const maxN = Math.max(...o.ns);
  const host = await DevnetProcess.start({ workers: 0, queueSizeLimit: maxN + 100 });
  try {
    const info = host.info;
    const app = new RawApp(info.rpcUrl, info.relayUrl, info.taskAddress, info.appPrivateKey, { indexedEventsOnly: true });
    const t0 = performance.now();
    const ids = await app.createMany(maxN, 10n ** 15n);
    const setupMs = performance.now() - t0;
    const urls = await host.startProxies();
    o.log(`  ${maxN} queued tasks created in ${(setupMs / 1000).toFixed(1)} s`);
    const rows: ScalingRow[] = [];
    for (const n of o.ns) {
      const some = ids.slice(0, n);
      const ours = await measureOurs(host, urls.rpcUrl, some, o);
      const baseline = await measureBaseline(host, urls.rpcUrl, some, o);
      const ratioPerMinute = baseline.perMinute.median / ours.perMinute.median;
      rows.push({ n, ours, baseline, ratioPerMinute });
      o.log(`  N=${n}: ours ${ours.perPoll.median.toFixed(2)} calls/poll, baseline ${baseline.perPoll.median.toFixed(1)} calls/poll`);
    }
    const bytesPerTask = await measureMemory(info, o.memoryTasks, o.reps, o.pollMs);
    return { pollMs: o.pollMs, windowMs: o.windowMs, reps: o.reps, setupMs, rows, memory: { tasks: o.memoryTasks, bytesPerTask } };
  } finally {
    await host.stop();
  }
}
