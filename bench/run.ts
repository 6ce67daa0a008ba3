/**
 * `npm run bench`: what users pay in time and RPC calls, next to the straightforward way of
 * doing each step, measured in the same run on local devnets (issue 7). Prints tables
 * (progress goes to stderr) and writes bench/results.json. Numbers, not pass/fail: goals are
 * printed beside the values.
 *
 * Options:
 *   --quick           small sizes for a smoke run (10 tasks, N up to 100, 1 run per mode)
 *   --tasks N         tasks per whole-flow run (default 50)
 *   --runs R          whole-flow runs per mode, lib and nodes alternating (default 2)
 *   --poll-ms MS      client poll interval in the whole-flow runs (default 1000)
 *   --scaling-n LIST  pending-task counts for the watcher benchmark (default 1,10,100,1000)
 *   --only LIST       any of cpu,scaling,flows,preview (default all)
 *   --out FILE        where to write the JSON (default <repo>/bench/results.json); --no-write to skip
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchCpu } from './cpu';
import { benchPreview } from './preview';
import { DevnetProcess } from './devnet-child';
import type { FlowOptions, FlowResult } from './flow-common';
import { runLibFlow } from './flow-lib';
import { runNodesFlow } from './flow-nodes';
import { figures, printTables, type BenchResults } from './report';
import { benchWatcherScaling } from './watcher-scaling';

interface Args {
  tasks: number;
  runs: number;
  pollMs: number;
  scalingN: number[];
  only: Set<string>;
  out: string | null;
  quick: boolean;
}

function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'bench'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

function parseArgs(argv: string[]): Args {
  const quick = argv.includes('--quick');
  const a: Args = {
    tasks: quick ? 10 : 50, runs: quick ? 1 : 2, pollMs: 1000, scalingN: quick ? [1, 10, 100] : [1, 10, 100, 1000],
    only: new Set(['cpu', 'scaling', 'flows', 'preview']), out: path.join(repoRoot(), 'bench', 'results.json'), quick,
  };
  const value = (i: number) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${argv[i]} needs a value`);
    return v;
  };
  const whole = (i: number, min: number) => {
    const n = Number(value(i));
    if (!Number.isInteger(n) || n < min) throw new Error(`${argv[i]} must be a whole number ≥ ${min}, got ${argv[i + 1]}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') continue;
    else if (k === '--tasks') a.tasks = whole(i++, 1);
    else if (k === '--runs') a.runs = whole(i++, 1);
    else if (k === '--poll-ms') a.pollMs = whole(i++, 50);
    else if (k === '--scaling-n') {
      a.scalingN = value(i++).split(',').map(Number);
      if (a.scalingN.some((n) => !Number.isInteger(n) || n < 1 || n > 1900)) throw new Error('--scaling-n takes whole numbers from 1 to 1900');
    } else if (k === '--only') {
      a.only = new Set(value(i++).split(','));
      for (const s of a.only) if (!['cpu', 'scaling', 'flows', 'preview'].includes(s)) throw new Error(`--only: unknown section ${s} (cpu, scaling, flows, preview)`);
    } else if (k === '--out') a.out = path.resolve(value(i++));
    else if (k === '--no-write') a.out = null;
    else throw new Error(`unknown option ${k} (see bench/run.ts)`);
  }
  return a;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);

async function flows(a: Args): Promise<FlowResult[]> {
  // 5 workers (the devnet's maximum): one task runs at a time, the others queue on chain.
  const host = await DevnetProcess.start({ workers: 5, queueSizeLimit: a.tasks + 50, observeMs: 5 });
  const out: FlowResult[] = [];
  try {
    const opts = (tag: string, tasks = a.tasks): FlowOptions => ({ tasks, pollMs: a.pollMs, blindEveryMs: 1000, feeWei: 10n ** 16n, tag });
    progress('flows: warm-up (5 tasks each way, not counted)');
    await runLibFlow(host, opts('warm-lib', 5));
    await runNodesFlow(host, opts('warm-nodes', 5));
    for (let r = 0; r < a.runs; r++) {
      // Alternate which mode goes first, so neither always runs on a fresher process.
      const order = r % 2 === 0 ? (['lib', 'nodes'] as const) : (['nodes', 'lib'] as const);
      for (const mode of order) {
        const t0 = performance.now();
        const res = await (mode === 'lib' ? runLibFlow : runNodesFlow)(host, opts(`${mode}-${r}`));
        out.push(res);
        progress(`flows: run ${r + 1}/${a.runs} ${mode}: ${res.succeeded}/${res.tasks} tasks in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    }
  } finally {
    await host.stop();
  }
  return out;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const res: BenchResults = { flows: [], pollMs: a.pollMs, blindEveryMs: 1000 };
  if (a.only.has('cpu')) {
    progress('cpu: local steps per task');
    res.cpu = await benchCpu({ iterations: 300, reps: 5 });
  }
  if (a.only.has('preview')) {
    progress('preview: event loop while thumbnails are made (main thread vs worker thread)');
    res.preview = await benchPreview({ tasks: a.quick ? 1 : 3, images: 8, side: 1024, reps: a.quick ? 1 : 3 });
  }
  if (a.only.has('scaling')) {
    progress(`scaling: N = ${a.scalingN.join(', ')}`);
    res.scaling = await benchWatcherScaling({ ns: a.scalingN, reps: 3, windowMs: 2000, pollMs: 500, memoryTasks: 1000, log: progress });
  }
  if (a.only.has('flows')) {
    progress(`flows: ${a.tasks} tasks at once, ${a.runs} run(s) per mode, poll ${a.pollMs} ms`);
    res.flows = await flows(a);
  }
  const durationMs = performance.now() - started;
  console.log(printTables(res));
  console.log(`\nTotal ${(durationMs / 1000).toFixed(0)} s on ${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}.`);
  if (a.out) {
    const json = {
      generatedAt: new Date().toISOString(),
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      durationS: Math.round(durationMs / 1000),
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model.trim(), node: process.version, platform: `${os.platform()} ${os.arch()}` },
      settings: { tasksPerRun: a.tasks, runsPerMode: a.runs, flowPollMs: a.pollMs, blindRetryMs: 1000, scalingN: a.scalingN },
      ...figures(res),
    };
    fs.mkdirSync(path.dirname(a.out), { recursive: true });
    fs.writeFileSync(a.out, `${JSON.stringify(json, null, 2)}\n`);
    console.log(`Wrote ${a.out}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
