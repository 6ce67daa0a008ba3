/**
 * Turns the measurements into the printed table and the figures of bench/results.json.
 * Goals are printed next to the values; nothing here passes or fails.
 */
import type { CpuResult } from './cpu';
import type { FlowResult } from './flow-common';
import type { PreviewBenchResult } from './preview';
import { num, rounded, spread, summarise, type Summary } from './stats';
import type { ScalingResult } from './watcher-scaling';

export interface BenchResults {
  scaling?: ScalingResult;
  cpu?: CpuResult;
  preview?: PreviewBenchResult;
  flows: FlowResult[];
  pollMs: number;
  blindEveryMs: number;
}

type Row = [figure: string, ours: string, baseline: string, ratio: string, goal: string];

/** Per-task samples of all runs together. */
const pool = (runs: FlowResult[], key: keyof FlowResult['samples']) => summarise(runs.flatMap((f) => f.samples[key]));

/** One value per run. */
function overRuns(runs: FlowResult[], value: (r: FlowResult) => number): Summary {
  return summarise(runs.map(value));
}

const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b !== 0 ? `${num(a / b)}×` : '–');

function table(title: string, rows: Row[]): string {
  const head: Row = ['Figure', 'Ours', 'Baseline', 'Ratio', 'Goal'];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: Row) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [`\n${title}`, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function flowsOf(res: BenchResults, mode: 'lib' | 'nodes'): FlowResult[] {
  return res.flows.filter((f) => f.mode === mode);
}

/** The JSON figures: every value with its median and spread, ratios from this run. */
export function figures(res: BenchResults): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const r = (s: Summary) => rounded(s, 2);
  if (res.scaling) {
    const s = res.scaling;
    out.watcherScaling = {
      pollIntervalMs: s.pollMs, windowMs: s.windowMs, windowsPerN: s.reps, pendingTasks: 'real queued tasks (devnet without workers)',
      baseline: 'per-task status polling: getTask / TaskQueue.include per task per interval (bench/per-task-poller.ts)',
      rows: s.rows.map((row) => ({
        n: row.n,
        ours: { callsPerPoll: r(row.ours.perPoll), callsPerMinute: r(row.ours.perMinute), methods: row.ours.methods },
        baseline: {
          callsPerPoll: r(row.baseline.perPoll), callsPerMinute: r(row.baseline.perMinute), pollIntervalReachedMs: r(row.baseline.intervalMs),
          methods: row.baseline.methods,
        },
        ratioPerMinute: Number(row.ratioPerMinute.toFixed(2)),
      })),
      goal: 'ours does not grow with N',
      oursGrowthNmaxOverN1: Number((s.rows[s.rows.length - 1].ours.perMinute.median / s.rows[0].ours.perMinute.median).toFixed(3)),
    };
    out.memoryPerPendingTask = { tasks: s.memory.tasks, bytes: rounded(s.memory.bytesPerTask, 0) };
  }
  if (res.cpu) {
    out.cpuPerTask = {
      iterations: res.cpu.iterations, reps: res.cpu.reps, goalMs: 2, totalMs: rounded(res.cpu.perTask, 4),
      stepsMs: Object.fromEntries(Object.entries(res.cpu.steps).map(([k, v]) => [k, rounded(v, 4)])),
      coldFirstBuildMs: Number(res.cpu.coldBuildMs.toFixed(1)),
    };
  }
  if (res.preview) {
    const p = res.preview;
    const mode = (m: PreviewBenchResult['mainThread']) => ({
      maxDelayMs: r(m.maxDelayMs), p99DelayMs: r(m.p99DelayMs), meanDelayMs: r(m.meanDelayMs), utilization: rounded(m.utilization, 3), wallMs: r(m.wallMs),
    });
    out.previewEventLoop = {
      meaning: 'fetch-result editor thumbnails: event-loop delay (monitorEventLoopDelay) and main-thread utilization while they are made',
      ...p.options, pngBytes: p.pngBytes,
      mainThread: mode(p.mainThread), workerThread: mode(p.workerThread),
    };
  }
  for (const mode of ['lib', 'nodes'] as const) {
    const runs = flowsOf(res, mode);
    if (!runs.length) continue;
    out[`flow_${mode}`] = {
      runs: runs.length, tasksPerRun: runs[0].tasks,
      tasksPerMinute: r(overRuns(runs, (f) => f.tasksPerMinute)),
      wallMs: r(overRuns(runs, (f) => f.wallMs)),
      succeeded: runs.reduce((a, f) => a + f.succeeded, 0), failed: runs.reduce((a, f) => a + f.failed, 0),
      nonceErrorsGoal: 0, nonceErrors: runs.reduce((a, f) => a + f.nonceErrors, 0), nonceRetries: runs.reduce((a, f) => a + f.nonceRetries, 0),
      rpcCallsPerTask: r(overRuns(runs, (f) => f.rpcPerTask)),
      relayRequestsPerTask: r(overRuns(runs, (f) => f.relayRequestsPerTask)),
      clientCpuMsPerTask: r(overRuns(runs, (f) => f.cpuMsPerTask)),
      eventToMsgMs: r(pool(runs, 'eventToMsg')),
      eventToMsgGoal: { floorMs: res.pollMs, p95AtMostMs: res.pollMs + 100 },
      readyToMsgMs: r(pool(runs, 'readyToMsg')),
      blindReadyToMsgMs: r(pool(runs, 'blindReady')),
      readyToMsgRatioOursOverBlind: Number((pool(runs, 'readyToMsg').median / pool(runs, 'blindReady').median).toFixed(2)),
      blindRequestsPerTask: r(pool(runs, 'blindRequests')),
      taskMs: r(pool(runs, 'task')),
      observerResolutionMs: r(pool(runs, 'observer')),
      errors: runs.flatMap((f) => f.errors).slice(0, 20),
      perRun: runs.map((f) => ({ wallMs: Math.round(f.wallMs), tasksPerMinute: Number(f.tasksPerMinute.toFixed(1)), rpcMethods: f.rpcMethods, relayRoutes: f.relayRoutes })),
    };
  }
  const lib = flowsOf(res, 'lib');
  const nodes = flowsOf(res, 'nodes');
  if (lib.length && nodes.length) {
    const m = (runs: FlowResult[], v: (f: FlowResult) => number) => overRuns(runs, v).median;
    const q = (a: number, b: number) => Number((a / b).toFixed(2));
    out.nodeRedOverhead = {
      meaning: 'through the nodes ÷ direct lib calls, same number of tasks, same devnet',
      clientCpuPerTask: q(m(nodes, (f) => f.cpuMsPerTask), m(lib, (f) => f.cpuMsPerTask)),
      wallTime: q(m(nodes, (f) => f.wallMs), m(lib, (f) => f.wallMs)),
      eventToMsgMedian: q(pool(nodes, 'eventToMsg').median, pool(lib, 'eventToMsg').median),
      rpcCallsPerTask: q(m(nodes, (f) => f.rpcPerTask), m(lib, (f) => f.rpcPerTask)),
    };
  }
  return out;
}

export function printTables(res: BenchResults): string {
  const parts: string[] = [];
  const poll = res.pollMs;
  if (res.scaling) {
    const s = res.scaling;
    const rows: Row[] = [];
    for (const row of s.rows) {
      rows.push([`N=${row.n}: RPC calls per poll`, spread(row.ours.perPoll), spread(row.baseline.perPoll), ratio(row.baseline.perPoll.median, row.ours.perPoll.median), 'ours flat in N']);
      rows.push([`N=${row.n}: RPC calls per minute`, spread(row.ours.perMinute), spread(row.baseline.perMinute), ratio(row.baseline.perMinute.median, row.ours.perMinute.median), 'ours flat in N']);
      if (row.baseline.intervalMs.median > 1.2 * s.pollMs) {
        rows.push([`N=${row.n}: baseline could only poll every`, '', spread(row.baseline.intervalMs, ' ms'), '', `${s.pollMs} ms asked`]);
      }
    }
    const first = s.rows[0].ours.perMinute.median;
    const last = s.rows[s.rows.length - 1].ours.perMinute.median;
    rows.push([`ours, calls/min at N=${s.rows[s.rows.length - 1].n} ÷ at N=${s.rows[0].n}`, `${num(last / first)}×`, '', '', '1×']);
    rows.push([`memory per pending task (${s.memory.tasks} waits)`, spread(s.memory.bytesPerTask, ' B'), '', '', '']);
    parts.push(table(`1. Watcher scaling (poll ${s.pollMs} ms, ${s.reps} windows of ${s.windowMs} ms per N; baseline = per-task status polling; ratio = baseline ÷ ours)`, rows));
  }
  const lib = flowsOf(res, 'lib');
  const nodes = flowsOf(res, 'nodes');
  const both = [['lib', lib], ['nodes', nodes]] as const;
  if (lib.length || nodes.length) {
    const rows: Row[] = [];
    for (const [mode, runs] of both) {
      if (!runs.length) continue;
      const e = pool(runs, 'eventToMsg');
      rows.push([`${mode}: TaskSuccess block → outcome msg`, spread(e, ' ms'), `floor ${poll} ms`, ratio(e.median, poll), `p95 ≤ ${poll + 100} ms (p95 ${num(e.p95)})`]);
    }
    const obs = pool([...lib, ...nodes], 'observer');
    rows.push(['block time-stamp resolution (upper bound used)', spread(obs, ' ms'), '', '', '']);
    parts.push(table(`2. Event → msg (poll interval ${poll} ms = the floor; ratio = ours ÷ floor)`, rows));

    const rows3: Row[] = [];
    for (const [mode, runs] of both) {
      if (!runs.length) continue;
      const ours = pool(runs, 'readyToMsg');
      const blind = pool(runs, 'blindReady');
      const blindReq = pool(runs, 'blindRequests');
      const downloads = summarise(runs.map((f) => (f.relayRoutes['GET /v1/inference_tasks/:id/results/:id'] ?? 0) / f.tasks));
      rows3.push([`${mode}: TaskResultUploaded block → result msg`, spread(ours, ' ms'), spread(blind, ' ms'), ratio(ours.median, blind.median), '']);
      rows3.push([`${mode}: relay download requests per task`, spread(downloads), spread(blindReq), ratio(downloads.median, blindReq.median), '']);
    }
    parts.push(table(`3. Result ready → msg (baseline: download retried blindly every ${res.blindEveryMs} ms from the moment ours starts fetching; ratio = ours ÷ baseline)`, rows3));

    const rows4: Row[] = [];
    for (const [mode, runs] of both) {
      if (!runs.length) continue;
      rows4.push([`${mode}: tasks per minute (${runs[0].tasks} at once)`, spread(overRuns(runs, (f) => f.tasksPerMinute)), '', '', '']);
      rows4.push([`${mode}: nonce errors / recovered refusals`, `${runs.reduce((a, f) => a + f.nonceErrors, 0)} / ${runs.reduce((a, f) => a + f.nonceRetries, 0)}`, '', '', '0']);
      rows4.push([`${mode}: failed tasks`, String(runs.reduce((a, f) => a + f.failed, 0)), '', '', '0']);
      rows4.push([`${mode}: RPC calls per task`, spread(overRuns(runs, (f) => f.rpcPerTask)), '', '', '']);
      rows4.push([`${mode}: relay requests per task`, spread(overRuns(runs, (f) => f.relayRequestsPerTask)), '', '', '']);
      rows4.push([`${mode}: submit → result msg per task`, spread(pool(runs, 'task'), ' ms'), '', '', '']);
    }
    parts.push(table('4. Throughput (one wallet, all tasks sent at once; bound by the devnet: its 5 workers run one task at a time, the rest queue on chain)', rows4));
  }
  if (res.cpu) {
    const rows: Row[] = Object.entries(res.cpu.steps).map(([k, v]) => [k, spread(v, ' ms'), '', '', ''] as Row);
    rows.push(['per task: build + tx signature + relay signatures (A, D)', spread(res.cpu.perTask, ' ms'), '', '', '≤ 2 ms']);
    rows.push(['first build in a process (schema compilation)', `${num(res.cpu.coldBuildMs)} ms`, '', '', '']);
    if (res.scaling) rows.push([`memory per pending task in the watcher`, spread(res.scaling.memory.bytesPerTask, ' B'), '', '', '']);
    for (const [mode, runs] of both) {
      if (runs.length) rows.push([`${mode}: client CPU per task, whole flow`, spread(overRuns(runs, (f) => f.cpuMsPerTask), ' ms'), '', '', '']);
    }
    parts.push(table(`5. CPU and memory (CPU time per call over ${res.cpu.iterations} calls × ${res.cpu.reps})`, rows));
  }
  if (lib.length && nodes.length) {
    const m = (runs: FlowResult[], v: (f: FlowResult) => number) => overRuns(runs, v).median;
    const rows: Row[] = [
      ['client CPU per task', `${num(m(nodes, (f) => f.cpuMsPerTask))} ms`, `${num(m(lib, (f) => f.cpuMsPerTask))} ms`, ratio(m(nodes, (f) => f.cpuMsPerTask), m(lib, (f) => f.cpuMsPerTask)), ''],
      ['wall time for all tasks', `${num(m(nodes, (f) => f.wallMs) / 1000)} s`, `${num(m(lib, (f) => f.wallMs) / 1000)} s`, ratio(m(nodes, (f) => f.wallMs), m(lib, (f) => f.wallMs)), ''],
      ['event → msg, median', `${num(pool(nodes, 'eventToMsg').median)} ms`, `${num(pool(lib, 'eventToMsg').median)} ms`, ratio(pool(nodes, 'eventToMsg').median, pool(lib, 'eventToMsg').median), ''],
      ['RPC calls per task', num(m(nodes, (f) => f.rpcPerTask)), num(m(lib, (f) => f.rpcPerTask)), ratio(m(nodes, (f) => f.rpcPerTask), m(lib, (f) => f.rpcPerTask)), ''],
    ];
    parts.push(table('6. Node-RED overhead (ours = through the nodes, baseline = direct lib calls, same tasks; ratio = nodes ÷ lib)', rows));
  }
  if (res.preview) {
    const p = res.preview;
    const row = (figure: string, pick: (m: PreviewBenchResult['mainThread']) => Summary, unit = ' ms'): Row => [
      figure, spread(pick(p.workerThread), unit), spread(pick(p.mainThread), unit), ratio(pick(p.workerThread).median, pick(p.mainThread).median), '',
    ];
    const rows: Row[] = [
      row('longest event-loop stall', (m) => m.maxDelayMs),
      row('event-loop delay p99', (m) => m.p99DelayMs),
      row('main thread busy (utilization)', (m) => m.utilization, ''),
      row('first result → last preview', (m) => m.wallMs),
    ];
    const { tasks, images, side, reps } = p.options;
    parts.push(table(`7. Editor preview (${tasks} results of ${images} PNGs ${side}×${side}, ${reps} reps; ours = worker thread, baseline = main thread as before; ratio = ours ÷ baseline)`, rows));
  }
  return parts.join('\n');
}
