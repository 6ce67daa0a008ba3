/**
 * Run as a child process by fetch-result-preview-worker.test.ts: makes one preview on a
 * pool's thread and does not close the pool. The process must still end by itself: the thread
 * is unref()'d, so it never keeps a runtime alive.
 */
import { PNG } from 'pngjs';
import { PreviewPool } from '../../nodes/crynux-fetch-result.preview-worker';

const png = new PNG({ width: 64, height: 32 });
png.data.fill(200);
const pool = new PreviewPool();
// Holds the process until the answer (an unref'd thread alone would let it end before),
// then lets go: from there only the pool's thread is left, never closed.
const hold = setTimeout(() => undefined, 60_000);
void pool.render([PNG.sync.write(png)], 16, 'child').then((data) => {
  clearTimeout(hold);
  process.stdout.write(JSON.stringify({ thread: pool.counts.thread, threadId: pool.threadId, size: data && [data.images[0].width, data.images[0].height] }));
});
