/**
 * crynux-fetch-result's preview off the event loop: the shared worker thread (PreviewPool and
 * usePreviewPool) makes the same PreviewData as previewOf on the main thread; many jobs at once
 * all end; the thread ends with its last user and never keeps a process alive; a thread that
 * cannot start, dies or hangs falls back without an error. Then Preview's side (the msg never
 * waits; stale previews are not drawn). The node itself: fetch-result-preview-worker-runtime.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sinon from 'sinon';
import { MAX_PREVIEW_IMAGES, PREVIEW_TOPIC_PREFIX, Preview, previewOf, type PreviewData } from '../../nodes/crynux-fetch-result.preview';
import {
  MAX_THREAD_FAILURES,
  PREVIEW_THREAD_SCRIPT,
  PreviewPool,
  sharedPreviewPool,
  usePreviewPool,
} from '../../nodes/crynux-fetch-result.preview-worker';
import { watchUnhandled } from '../e2e/devnet-flow';
import { exited, image, interlaced, watch } from './preview-fixtures';

const FAULTY_THREAD = path.join(__dirname, 'preview-thread-faults.js');

describe('crynux-fetch-result preview: the worker thread', function () {
  this.timeout(30_000);
  let big: Buffer;
  const pools: PreviewPool[] = [];
  const newPool = (options?: ConstructorParameters<typeof PreviewPool>[0]) => {
    const pool = new PreviewPool(options);
    pools.push(pool);
    return pool;
  };
  before(() => {
    big = image(1024, 1024, 1);
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.close()));
  });

  it('the thread makes exactly what previewOf makes on the main thread (real PNGs, one 1024×1024); the caller\'s Buffers stay as they were', async () => {
    const files = [
      big,
      image(37, 23, 2, 0),
      image(64, 48, 3, 2),
      image(30, 90, 4, 4),
      image(50, 50, 5, 6),
      image(33, 17, 6, 6, 16),
      interlaced(),
      Buffer.from('not a png at all'),
      image(20, 20, 7), // the 9th and 10th are counted, not drawn
      image(20, 20, 8),
    ];
    assert.ok(files.length > MAX_PREVIEW_IMAGES);
    const before = files.map((f) => Buffer.from(f));
    const pool = newPool();
    const seen = watch(pool);
    const data = await pool.render(files, 128, '77');
    assert.deepEqual(data, previewOf(files, 128, '77'));
    assert.equal(data?.images.length, 7, 'the non-PNG has no thumbnail');
    assert.deepEqual([data?.images[0].width, data?.images[0].height], [128, 128]);
    assert.deepEqual(pool.counts, { thread: 1, mainThread: 0, dropped: 0 });
    assert.equal(seen.spawned.length, 1);
    files.forEach((f, i) => assert.ok(f.equals(before[i]), `file ${i} unchanged`));
    // Without a task id, as previewOf leaves it out.
    assert.deepEqual(await pool.render([files[1]], 32), previewOf([files[1]], 32));
  });

  it('answers many jobs given at once, each with its own preview, on one thread', async () => {
    const pool = newPool();
    const seen = watch(pool);
    const jobs = Array.from({ length: 30 }, (_, i) => ({ files: [image(16 + i * 3, 40 - i, i + 1), image(8, 8 + i, i + 100)], size: 32 + i, taskId: String(i) }));
    const results = await Promise.all(jobs.map((j) => pool.render(j.files, j.size, j.taskId)));
    results.forEach((r, i) => assert.deepEqual(r, previewOf(jobs[i].files, jobs[i].size, jobs[i].taskId), `job ${i}`));
    assert.deepEqual(pool.counts, { thread: 30, mainThread: 0, dropped: 0 });
    assert.equal(seen.spawned.length, 1);
  });

  it('close() ends the thread; jobs not done end without a preview; later jobs too', async () => {
    const pool = newPool();
    const seen = watch(pool);
    const pending = [pool.render([big], 64, 'a'), pool.render([big], 64, 'b'), pool.render([big], 64, 'c')];
    assert.equal(seen.spawned.length, 1, 'started on the first preview');
    const thread = seen.spawned[0];
    await pool.close();
    assert.deepEqual(await Promise.all(pending), [undefined, undefined, undefined]);
    await exited(thread);
    assert.equal(thread.threadId, -1, 'the thread is gone');
    assert.equal(pool.threadId, undefined);
    assert.equal(await pool.render([big], 64), undefined);
    assert.equal(seen.spawned.length, 1, 'no thread after close');
  });

  it('a thread script that does not load: previews are made on the main thread, the same, and it is not tried again', async () => {
    const pool = newPool({ script: path.join(__dirname, 'no-such-preview-thread.js') });
    const seen = watch(pool);
    const files = [image(64, 64, 1), image(32, 16, 2)];
    assert.deepEqual(await pool.render(files, 32, '1'), previewOf(files, 32, '1'));
    assert.deepEqual(await pool.render(files, 16, '2'), previewOf(files, 16, '2'));
    assert.deepEqual(pool.counts, { thread: 0, mainThread: 2, dropped: 0 });
    assert.equal(seen.spawned.length, 1);
    assert.deepEqual(seen.reasons, ['thread did not start', 'no thread']);
  });

  it('a Worker that cannot even be created (bad script path): main thread, nothing thrown', async () => {
    const pool = newPool({ script: 'relative/path.js' }); // Worker throws ERR_WORKER_PATH
    const seen = watch(pool);
    const files = [image(10, 10, 1)];
    assert.deepEqual(await pool.render(files, 8), previewOf(files, 8));
    assert.deepEqual([pool.counts.mainThread, seen.spawned.length], [1, 0]);
  });

  it('a thread that dies mid-job (exit, or an uncaught error): that job is made on the main thread, the next on a new thread', async () => {
    const unhandled = watchUnhandled();
    try {
      const pool = newPool({ script: FAULTY_THREAD });
      const seen = watch(pool);
      const files = [image(48, 24, 3)];
      assert.deepEqual(await pool.render(files, 24, 'die'), previewOf(files, 24, 'die'));
      assert.deepEqual(await pool.render(files, 24, 'ok'), previewOf(files, 24, 'ok'));
      assert.deepEqual(await pool.render(files, 24, 'throw'), previewOf(files, 24, 'throw'));
      assert.deepEqual(await pool.render(files, 24, 'ok'), previewOf(files, 24, 'ok'));
      assert.deepEqual(pool.counts, { thread: 2, mainThread: 2, dropped: 0 });
      assert.equal(seen.spawned.length, 3);
      assert.deepEqual(seen.reasons, ['thread died', 'thread died']);
      assert.deepEqual(unhandled.errors, []);
    } finally {
      unhandled.stop();
    }
  });

  it(`${MAX_THREAD_FAILURES} deaths in a row: previews stay on the main thread`, async () => {
    const pool = newPool({ script: FAULTY_THREAD });
    const seen = watch(pool);
    const files = [image(12, 12, 4)];
    for (let i = 0; i < MAX_THREAD_FAILURES; i++) assert.ok(await pool.render(files, 8, 'die'));
    assert.deepEqual(await pool.render(files, 8, 'ok'), previewOf(files, 8, 'ok'));
    assert.deepEqual(pool.counts, { thread: 0, mainThread: MAX_THREAD_FAILURES + 1, dropped: 0 });
    assert.equal(seen.spawned.length, MAX_THREAD_FAILURES, 'no thread after the last death');
  });

  it('a job that never ends is given up at the bound (no preview, not retried here); the thread is replaced', async () => {
    const pool = newPool({ script: FAULTY_THREAD, timeoutMs: 100 });
    const seen = watch(pool);
    const files = [image(12, 12, 5)];
    const hung = pool.render(files, 8, 'hang');
    const next = pool.render(files, 8, 'ok'); // queued behind it
    assert.equal(await hung, undefined);
    assert.deepEqual(await next, previewOf(files, 8, 'ok'));
    await exited(seen.spawned[0]);
    assert.equal(seen.spawned.length, 2);
    assert.deepEqual(pool.counts, { thread: 1, mainThread: 0, dropped: 1 });
    assert.deepEqual(seen.reasons, ['timeout']);
  });

  it('the thread never keeps a process alive: a process that never closes its pool still ends', async () => {
    const child = path.join(__dirname, 'preview-pool-child.js');
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [child], { timeout: 20_000 }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out))),
    );
    const got = JSON.parse(stdout) as { thread: number; threadId: number; size: number[] };
    assert.equal(got.thread, 1, 'the preview was made on the thread');
    assert.ok(got.threadId > 0);
    assert.deepEqual(got.size, [16, 8]);
  });

  it('the thread script is built beside the node module (what the pool starts)', () => {
    assert.equal(path.dirname(PREVIEW_THREAD_SCRIPT), path.dirname(require.resolve('../../nodes/crynux-fetch-result.preview-worker')));
    assert.ok(fs.existsSync(PREVIEW_THREAD_SCRIPT), PREVIEW_THREAD_SCRIPT);
  });
});

describe('usePreviewPool: one thread for all fetch-result nodes', function () {
  this.timeout(30_000);

  it('is shared; the thread outlives all but the last user and ends with it', async () => {
    assert.equal(sharedPreviewPool(), undefined, 'no user left over from another test');
    const a = usePreviewPool();
    const b = usePreviewPool();
    const pool = sharedPreviewPool()!;
    const seen = watch(pool);
    assert.equal(pool.threadId, undefined, 'no thread before the first preview');
    const files = [image(40, 40, 1)];
    assert.deepEqual(await a.render(files, 20, 'a'), previewOf(files, 20, 'a'));
    assert.deepEqual(await b.render(files, 20, 'b'), previewOf(files, 20, 'b'));
    assert.equal(seen.spawned.length, 1, 'one thread for both');
    const thread = seen.spawned[0];

    await a.release();
    await a.release(); // twice counts once
    assert.equal(sharedPreviewPool(), pool);
    assert.equal(pool.threadId, thread.threadId, 'still running for b');
    assert.deepEqual(await b.render(files, 10, 'b'), previewOf(files, 10, 'b'));
    assert.equal(await a.render(files, 10), undefined, 'a released user gets no preview');
    assert.equal(pool.counts.thread, 3);

    await b.release();
    assert.deepEqual(seen.exited, [thread]);
    assert.equal(thread.threadId, -1);
    assert.equal(sharedPreviewPool(), undefined);

    const c = usePreviewPool();
    assert.notEqual(sharedPreviewPool(), pool, 'a fresh pool for the next deploy');
    await c.release();
  });
});

describe('Preview with a renderer (the node\'s side of the thread)', () => {
  const png = image(8, 8, 1);
  const data = (taskId: string): PreviewData => ({ taskId, count: 1, images: [] });

  /** A renderer whose answers the test gives, one call at a time. */
  function deferred() {
    const calls: Array<{ taskId?: string; answer(d: PreviewData | undefined): void; fail(e: unknown): void }> = [];
    const render = (_files: Buffer[], _size: number, taskId?: string) =>
      new Promise<PreviewData | undefined>((answer, fail) => calls.push({ taskId, answer, fail }));
    return { calls, render };
  }
  const settle = () => new Promise((r) => setImmediate(r));

  it('show returns before the preview is made; it is published, retained, when the renderer answers', async () => {
    const publish = sinon.spy();
    const r = deferred();
    const p = new Preview({ publish }, 'n1', { enabled: true, size: 8 }, r.render);
    p.show([png], '1');
    assert.equal(publish.callCount, 0, 'nothing yet: the msg goes on without it');
    r.calls[0].answer(data('1'));
    await settle();
    assert.deepEqual(publish.firstCall.args, [`${PREVIEW_TOPIC_PREFIX}n1`, data('1'), true]);
  });

  it('results arriving while one is made: only the newest is made next; the stale one is not published', async () => {
    const publish = sinon.spy();
    const r = deferred();
    const p = new Preview({ publish }, 'n1', { enabled: true, size: 8 }, r.render);
    p.show([png], '1');
    p.show([png], '2');
    p.show([png], '3');
    assert.deepEqual(r.calls.map((c) => c.taskId), ['1'], 'one at a time');
    r.calls[0].answer(data('1'));
    await settle();
    assert.equal(publish.callCount, 0, '1 is older than 3');
    assert.deepEqual(r.calls.map((c) => c.taskId), ['1', '3'], '2 is skipped');
    r.calls[1].answer(data('3'));
    await settle();
    assert.deepEqual(publish.getCalls().map((c) => c.args[1]), [data('3')]);
  });

  it('clear (a text result, or close) drops a preview still being made', async () => {
    const publish = sinon.spy();
    const r = deferred();
    const p = new Preview({ publish }, 'n1', { enabled: true, size: 8 }, r.render);
    p.show([png], '1');
    p.clear();
    r.calls[0].answer(data('1'));
    await settle();
    assert.equal(publish.callCount, 0, 'not drawn, and nothing to clear');
    p.show([png], '2');
    r.calls[1].answer(data('2'));
    await settle();
    p.clear();
    assert.deepEqual(publish.lastCall.args, [`${PREVIEW_TOPIC_PREFIX}n1`, { count: 0, images: [] }, false]);
  });

  it('a renderer that rejects, throws or has no preview: nothing published, nothing unhandled, the next show works', async () => {
    const unhandled = watchUnhandled();
    try {
      const publish = sinon.spy();
      let mode = 'reject';
      const render = async (_f: Buffer[], _s: number, taskId?: string) => {
        if (mode === 'reject') throw new Error('no');
        if (mode === 'none') return undefined;
        return data(taskId ?? '');
      };
      const throwing = () => {
        throw new Error('at once');
      };
      const p = new Preview({ publish }, 'n1', { enabled: true, size: 8 }, (f, s, t) => (mode === 'throw' ? throwing() : render(f, s, t)));
      for (mode of ['reject', 'throw', 'none']) {
        p.show([png], mode);
        await settle();
      }
      assert.equal(publish.callCount, 0);
      mode = 'ok';
      p.show([png], 'ok');
      await settle();
      assert.deepEqual(publish.lastCall.args[1], data('ok'));
      const broken = new Preview({ publish: () => { throw new Error('socket gone'); } }, 'n2', { enabled: true, size: 8 }, render);
      broken.show([png], 'x');
      await settle();
      assert.deepEqual(unhandled.errors, []);
    } finally {
      unhandled.stop();
    }
  });
});
