/**
 * Thumbnails off Node-RED's event loop. Downscaling a 1024×1024 PNG in JavaScript takes 50–100 ms
 * of CPU (more on a Raspberry Pi), up to 8 of them per task: on the runtime's thread that stalls
 * every flow (dashboards, MQTT, timers). So the previews are made on one worker thread shared by
 * all fetch-result nodes of the process (crynux-fetch-result.preview-thread.ts):
 * - started on the first preview, not at deploy (most flows never show an image);
 * - unref()'d, so it never keeps a process alive (nor waits for its jobs: a Node-RED runtime
 *   always has its server); ended when the last node lets go (redeploy, shutdown, a test's
 *   unload), so nothing is left running;
 * - one job at a time, so a job's time bound measures its own work, not the queue before it.
 * A preview is a convenience: whatever goes wrong with the thread, a job ends as a preview made
 * here on the main thread (as before the thread existed) or as no preview; never as an error.
 */
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { MAX_PREVIEW_IMAGES, previewOf, type PreviewData, type RenderPreview } from './crynux-fetch-result.preview';

/** The thread's script: our compiled JS beside this file (dist/nodes, or a CRYNUX_DIST build). */
export const PREVIEW_THREAD_SCRIPT = path.join(__dirname, 'crynux-fetch-result.preview-thread.js');
/**
 * Longest a job may run on the thread before it is given up (no preview; the thread is replaced).
 * 8 images of the largest size the reader takes (4096²) need about 5 s here (0.65 s each), so a
 * board ten times slower stays inside this; only a thread that hangs does not.
 */
export const PREVIEW_JOB_TIMEOUT_MS = 120_000;
/** Thread deaths in a row (no finished job between them) after which previews stay on the main thread. */
export const MAX_THREAD_FAILURES = 3;

/** Pool → thread: one job. `files` are our own copies, moved to the thread, not copied again. */
export interface PreviewJobMessage {
  id: number;
  files: Uint8Array[];
  /** Images in the whole result (files holds at most MAX_PREVIEW_IMAGES). */
  count: number;
  size: number;
  taskId?: string;
}

/** Thread → pool: ready once its modules are loaded, then one answer per job. */
export type PreviewThreadMessage = { ready: true } | { id: number; data?: PreviewData };

export interface PreviewPoolOptions {
  /** The thread's script (tests use others to make it fail). */
  script?: string;
  timeoutMs?: number;
}

interface Job {
  id: number;
  files: Buffer[];
  size: number;
  taskId?: string;
  resolve(data: PreviewData | undefined): void;
}

/**
 * The thread and its queue. Events (for tests and the bench): 'spawn' (Worker) when a thread
 * starts, 'fallback' (reason) when a job goes to the main thread or is dropped.
 */
export class PreviewPool extends EventEmitter {
  /** Where the jobs ended: on the thread, on the main thread, or without a preview. */
  readonly counts = { thread: 0, mainThread: 0, dropped: 0 };
  private readonly script: string;
  private readonly timeoutMs: number;
  private worker?: Worker;
  private ready = false;
  private running?: { job: Job; timer: NodeJS.Timeout };
  private readonly queue: Job[] = [];
  private failures = 0;
  /** The thread cannot start or keeps dying: previews are made on the main thread until close(). */
  private threadless = false;
  private closed = false;
  private nextId = 1;

  constructor(options: PreviewPoolOptions = {}) {
    super();
    this.script = options.script ?? PREVIEW_THREAD_SCRIPT;
    this.timeoutMs = options.timeoutMs ?? PREVIEW_JOB_TIMEOUT_MS;
  }

  /** The preview of `files`, made on the thread when it can be; never rejects. */
  render(files: Buffer[], size: number, taskId?: string): Promise<PreviewData | undefined> {
    return new Promise((resolve) => {
      const job: Job = { id: this.nextId++, files, size, taskId, resolve };
      if (this.closed) return this.drop(job, 'closed');
      if (this.threadless) return this.onMainThread(job, 'no thread');
      this.queue.push(job);
      this.pump();
    });
  }

  /** Id of the running thread (undefined when there is none): for tests. */
  get threadId(): number | undefined {
    return this.worker?.threadId;
  }

  /** Ends the thread; jobs not yet done end without a preview. Resolves once the thread is gone. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (this.running) {
      clearTimeout(this.running.timer);
      this.drop(this.running.job, 'closed');
      this.running = undefined;
    }
    for (const job of this.queue.splice(0)) this.drop(job, 'closed');
    if (worker) await worker.terminate().catch(() => undefined);
  }

  private pump(): void {
    if (this.running || this.queue.length === 0 || this.closed) return;
    const worker = this.threadless ? undefined : (this.worker ?? this.start());
    if (!worker) {
      for (const job of this.queue.splice(0)) this.onMainThread(job, 'no thread');
      return;
    }
    const job = this.queue.shift()!;
    // Copies sized to the file: a Buffer may be a view into a larger (pooled) ArrayBuffer,
    // which postMessage would copy whole; the msg keeps its own Buffers untouched.
    const files = job.files.slice(0, MAX_PREVIEW_IMAGES).map((f) => new Uint8Array(f));
    const message: PreviewJobMessage = { id: job.id, files, count: job.files.length, size: job.size, ...(job.taskId !== undefined ? { taskId: job.taskId } : {}) };
    const timer = setTimeout(() => this.timedOut(job), this.timeoutMs);
    timer.unref();
    this.running = { job, timer };
    try {
      worker.postMessage(message, files.map((f) => f.buffer as ArrayBuffer));
    } catch {
      clearTimeout(timer);
      this.running = undefined;
      this.onMainThread(job, 'post failed');
      this.pump();
    }
  }

  private start(): Worker | undefined {
    let worker: Worker;
    try {
      worker = new Worker(this.script);
    } catch {
      this.threadless = true;
      return undefined;
    }
    this.worker = worker;
    this.ready = false;
    worker.on('message', (m: PreviewThreadMessage) => this.onMessage(worker, m));
    // Without a listener, an error thrown in the thread would be rethrown here and end the
    // runtime. The 'exit' that always follows does the cleaning up.
    worker.on('error', () => undefined);
    worker.on('exit', () => this.onExit(worker));
    // After the listeners: adding a 'message' listener refs the thread's port again.
    worker.unref();
    this.emit('spawn', worker);
    return worker;
  }

  private onMessage(worker: Worker, m: PreviewThreadMessage): void {
    if (worker !== this.worker) return;
    if ('ready' in m) {
      this.ready = true;
      return;
    }
    const running = this.running;
    if (!running || running.job.id !== m.id) return;
    clearTimeout(running.timer);
    this.running = undefined;
    this.failures = 0;
    this.counts.thread++;
    running.job.resolve(m.data);
    this.pump();
  }

  /** The thread ended without being asked: it could not start, or it died. */
  private onExit(worker: Worker): void {
    if (worker !== this.worker) return; // one we ended ourselves
    this.worker = undefined;
    const running = this.running;
    this.running = undefined;
    if (running) clearTimeout(running.timer);
    // Never ready: the script is missing or does not load; trying again would fail the same way.
    if (!this.ready || ++this.failures >= MAX_THREAD_FAILURES) this.threadless = true;
    // The job it was on is made here instead, once: what happened before the thread existed.
    if (running) this.onMainThread(running.job, this.ready ? 'thread died' : 'thread did not start');
    this.pump();
  }

  private timedOut(job: Job): void {
    if (this.running?.job !== job) return;
    this.running = undefined;
    // Not retried on the main thread: a job that long would block the runtime for as long.
    this.drop(job, 'timeout');
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate().catch(() => undefined);
    if (++this.failures >= MAX_THREAD_FAILURES) this.threadless = true;
    this.pump();
  }

  private onMainThread(job: Job, reason: string): void {
    this.counts.mainThread++;
    this.emit('fallback', reason);
    // On a later turn: the caller (and the msg it came with) goes on first.
    setImmediate(() => {
      try {
        job.resolve(previewOf(job.files, job.size, job.taskId));
      } catch {
        job.resolve(undefined);
      }
    });
  }

  private drop(job: Job, reason: string): void {
    this.counts.dropped++;
    if (reason !== 'closed') this.emit('fallback', reason);
    job.resolve(undefined);
  }
}

let shared: PreviewPool | undefined;
let users = 0;

/**
 * One fetch-result node's use of the shared pool. The pool is made with the first user (the
 * thread only with the first preview) and closed when the last user releases it; the next user
 * gets a fresh one, so a redeploy also retries a thread that could not start.
 */
export function usePreviewPool(): { render: RenderPreview; release(): Promise<void> } {
  users++;
  const pool = (shared ??= new PreviewPool());
  let released = false;
  return {
    render: (files, size, taskId) => (released ? Promise.resolve(undefined) : pool.render(files, size, taskId)),
    release: () => {
      if (released) return Promise.resolve();
      released = true;
      if (--users > 0) return Promise.resolve();
      shared = undefined;
      return pool.close();
    },
  };
}

/** The pool the nodes share right now, if any (tests and the bench watch its thread). */
export function sharedPreviewPool(): PreviewPool | undefined {
  return shared;
}
