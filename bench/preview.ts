/**
 * fetch-result's editor preview and Node-RED's event loop: how long the runtime's thread is held
 * up while thumbnails of image results are made, on the main thread (how it was: previewOf
 * called in the node) and on the shared worker thread (PreviewPool, what the node does now).
 * Measured with perf_hooks: monitorEventLoopDelay (how late a 1 ms timer fires; its max is the
 * longest stall) and eventLoopUtilization (the share of the time the main thread was busy).
 * Run alone: `node dist/bench/preview.js [--tasks N] [--images N] [--side PX] [--reps N]`.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { PNG } from 'pngjs';
import { DEFAULT_PREVIEW_SIZE, MAX_PREVIEW_IMAGES, previewOf } from '../nodes/crynux-fetch-result.preview';
import { PreviewPool } from '../nodes/crynux-fetch-result.preview-worker';
import { summarise, type Summary } from './stats';

export interface PreviewBenchOptions {
  /** Results arriving at once. */
  tasks: number;
  /** Images per result. */
  images: number;
  /** Width and height of each image, px. */
  side: number;
  reps: number;
}

export interface PreviewModeResult {
  /** The longest the event loop was held up, ms (per rep). */
  maxDelayMs: Summary;
  p99DelayMs: Summary;
  meanDelayMs: Summary;
  /** Share of the wall time the main thread was busy, 0–1. */
  utilization: Summary;
  /** From the first result to the last preview, ms. */
  wallMs: Summary;
}

export interface PreviewBenchResult {
  options: PreviewBenchOptions;
  pngBytes: number;
  mainThread: PreviewModeResult;
  workerThread: PreviewModeResult;
}

/** A PNG like an SD output: smooth gradients with a little noise (compresses like a photo, not like noise). */
export function benchImage(side: number, seed: number): Buffer {
  const png = new PNG({ width: side, height: side });
  let s = seed;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const n = (s >> 16) & 15;
      const o = (y * side + x) * 4;
      png.data[o] = ((x * 255) / side + n) & 0xff;
      png.data[o + 1] = ((y * 255) / side + n) & 0xff;
      png.data[o + 2] = (((x + y) * 127) / side + seed * 40 + n) & 0xff;
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png, { colorType: 2 });
}

interface Sample {
  maxDelayMs: number;
  p99DelayMs: number;
  meanDelayMs: number;
  utilization: number;
  wallMs: number;
}

/** Runs `work` with the event loop watched; each result arrives on a turn of its own, as msgs do. */
async function watched(work: () => Promise<unknown>): Promise<Sample> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  // One more turn so a stall at the very end is recorded by the histogram's timer.
  await new Promise((r) => setTimeout(r, 5));
  delay.disable();
  const elu = performance.eventLoopUtilization(elu0);
  const ms = (ns: number) => ns / 1e6;
  return { maxDelayMs: ms(delay.max), p99DelayMs: ms(delay.percentile(99)), meanDelayMs: ms(delay.mean), utilization: elu.utilization, wallMs };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

export async function benchPreview(o: PreviewBenchOptions): Promise<PreviewBenchResult> {
  // The pool's thread is unref()'d: with nothing else pending, a bench process would end while
  // waiting for it (a Node-RED runtime always has its server).
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    return await measure(o);
  } finally {
    clearInterval(keepAlive);
  }
}

async function measure(o: PreviewBenchOptions): Promise<PreviewBenchResult> {
  const files = Array.from({ length: o.images }, (_, i) => benchImage(o.side, i + 1));
  const tasks = Array.from({ length: o.tasks }, (_, t) => String(t + 1));
  // Warm both paths (JIT, the thread's module load) outside the measurement.
  previewOf(files.slice(0, 1), DEFAULT_PREVIEW_SIZE);
  const warm = new PreviewPool();
  await warm.render(files.slice(0, 1), DEFAULT_PREVIEW_SIZE);
  await warm.close();

  const main: Sample[] = [];
  const worker: Sample[] = [];
  for (let r = 0; r < o.reps; r++) {
    main.push(
      await watched(async () => {
        for (const id of tasks) {
          await turn();
          previewOf(files, DEFAULT_PREVIEW_SIZE, id);
        }
      }),
    );
    // A fresh pool per rep: its thread's start is counted, as for a runtime's first preview.
    const pool = new PreviewPool();
    worker.push(
      await watched(async () => {
        const pending: Promise<unknown>[] = [];
        for (const id of tasks) {
          await turn();
          pending.push(pool.render(files, DEFAULT_PREVIEW_SIZE, id));
        }
        await Promise.all(pending);
      }),
    );
    if (pool.counts.thread !== o.tasks) throw new Error(`bench: ${pool.counts.thread} of ${o.tasks} previews were made on the thread`);
    await pool.close();
  }
  const mode = (s: Sample[]): PreviewModeResult => ({
    maxDelayMs: summarise(s.map((x) => x.maxDelayMs)),
    p99DelayMs: summarise(s.map((x) => x.p99DelayMs)),
    meanDelayMs: summarise(s.map((x) => x.meanDelayMs)),
    utilization: summarise(s.map((x) => x.utilization)),
    wallMs: summarise(s.map((x) => x.wallMs)),
  });
  return { options: o, pngBytes: files[0].length, mainThread: mode(main), workerThread: mode(worker) };
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const arg = (name: string, dflt: number) => {
    const i = argv.indexOf(name);
    const n = i >= 0 ? Number(argv[i + 1]) : dflt;
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1`);
    return n;
  };
  const o = { tasks: arg('--tasks', 3), images: arg('--images', MAX_PREVIEW_IMAGES), side: arg('--side', 1024), reps: arg('--reps', 3) };
  benchPreview(o).then(
    (res) => {
      console.log(JSON.stringify(res, null, 2));
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
