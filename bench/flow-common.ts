/**
 * What the two whole-flow runs (direct lib calls, Node-RED nodes) share: per-task time
 * stamps, joined afterwards with the chain events the devnet host observed, and the summary
 * of one run (items 2, 3, 4 and 6).
 */
import { totalOf, type BlindResult, type DevnetProcess } from './devnet-child';
import { summarise, wallMs, type Summary } from './stats';

export interface FlowOptions {
  tasks: number;
  pollMs: number;
  /** Blind-download baseline period (item 3). */
  blindEveryMs: number;
  /** Fee per task, wei. */
  feeWei: bigint;
  /** Distinguishes prompts between runs. */
  tag: string;
}

/** Wall-clock ms stamps of one task. */
export interface TaskTiming {
  index: number;
  start: number;
  taskId?: string;
  /** The await-result output msg (nodes) / waitForOutcome resolved (lib). */
  outcomeAt?: number;
  /** The fetch-result output msg (nodes) / downloadResults resolved (lib). */
  fetchedAt?: number;
  files?: number;
  blind?: Promise<BlindResult>;
  error?: string;
}

export interface FlowResult {
  mode: 'lib' | 'nodes';
  tasks: number;
  succeeded: number;
  failed: number;
  errors: string[];
  /** Tasks lost to a nonce problem (goal 0). */
  nonceErrors: number;
  /** Nonce refusals the client recovered from by re-syncing (logged warnings). */
  nonceRetries: number;
  wallMs: number;
  tasksPerMinute: number;
  /** From submission to the result msg, per task. */
  taskMs: Summary;
  rpcCalls: number;
  rpcPerTask: number;
  rpcMethods: Record<string, number>;
  relayRequestsPerTask: number;
  relayRoutes: Record<string, number>;
  /** Client-process CPU (user + system) per task, ms. */
  cpuMsPerTask: number;
  /** Item 2: block holding TaskSuccess → outcome msg, ms (upper bound: see observerMs). */
  eventToMsgMs: Summary;
  /** Item 3: block holding TaskResultUploaded → result msg, ms; ours and the blind baseline. */
  readyToMsgMs: Summary;
  blindReadyToMsgMs: Summary;
  blindRequestsPerTask: Summary;
  /** How precisely the host time-stamped blocks (window between two observer polls), ms. */
  observerMs: Summary;
  /** The per-task values behind the summaries, for pooling runs. */
  samples: { eventToMsg: number[]; readyToMsg: number[]; blindReady: number[]; blindRequests: number[]; task: number[]; observer: number[] };
}

export function isNonceProblem(text: string): boolean {
  return /nonce/i.test(text);
}

export async function summariseFlow(
  mode: 'lib' | 'nodes',
  host: DevnetProcess,
  timings: TaskTiming[],
  counters: { t0: number; cpu0: NodeJS.CpuUsage; warnings: string[] },
): Promise<FlowResult> {
  const cpu = process.cpuUsage(counters.cpu0);
  const counts = await host.counts(true);
  const ok = timings.filter((t) => t.fetchedAt !== undefined && !t.error);
  const end = Math.max(...ok.map((t) => t.fetchedAt!), counters.t0);
  const rpcCalls = totalOf(counts.rpc);
  const relayCalls = totalOf(counts.relay);
  const eventToMsg: number[] = [];
  const readyToMsg: number[] = [];
  const blindReady: number[] = [];
  const blindRequests: number[] = [];
  const observer: number[] = [];
  const errors = timings.filter((t) => t.error).map((t) => `task #${t.index}${t.taskId ? ` (id ${t.taskId})` : ''}: ${t.error}`);
  for (const t of timings) {
    if (!t.taskId) continue;
    const success = await host.waitForEvent('TaskSuccess', t.taskId, 5000);
    const uploaded = await host.waitForEvent('TaskResultUploaded', t.taskId, 5000);
    if (success && t.outcomeAt !== undefined) {
      eventToMsg.push(t.outcomeAt - success.after);
      observer.push(success.by - success.after);
    }
    if (uploaded && t.fetchedAt !== undefined) readyToMsg.push(t.fetchedAt - uploaded.after);
    const blind = t.blind ? await t.blind : undefined;
    if (blind?.error) errors.push(`blind baseline, task ${t.taskId}: ${blind.error}`);
    else if (blind && uploaded) {
      blindReady.push(blind.doneAt - uploaded.after);
      blindRequests.push(blind.requests);
    }
  }
  const n = timings.length;
  const wall = end - counters.t0;
  const task = ok.map((t) => t.fetchedAt! - t.start);
  return {
    mode,
    tasks: n,
    succeeded: ok.length,
    failed: n - ok.length,
    errors,
    nonceErrors: errors.filter(isNonceProblem).length,
    nonceRetries: counters.warnings.filter(isNonceProblem).length,
    wallMs: wall,
    tasksPerMinute: (ok.length / wall) * 60_000,
    taskMs: summarise(task),
    rpcCalls,
    rpcPerTask: rpcCalls / n,
    rpcMethods: counts.rpc,
    relayRequestsPerTask: relayCalls / n,
    relayRoutes: counts.relay,
    cpuMsPerTask: (cpu.user + cpu.system) / 1000 / n,
    eventToMsgMs: summarise(eventToMsg),
    readyToMsgMs: summarise(readyToMsg),
    blindReadyToMsgMs: summarise(blindReady),
    blindRequestsPerTask: summarise(blindRequests),
    observerMs: summarise(observer),
    samples: { eventToMsg, readyToMsg, blindReady, blindRequests, task, observer },
  };
}

export { wallMs };
