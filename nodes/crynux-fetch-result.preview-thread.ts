/**
 * The worker thread of crynux-fetch-result's preview (started by crynux-fetch-result.preview-worker.ts):
 * makes each job's thumbnails with the same previewOf the main thread would use, so the editor
 * receives the same PreviewData either way. Loaded only as a Worker script: Node-RED loads the
 * node files listed in package.json, not this one.
 */
import { parentPort } from 'node:worker_threads';
import { previewOf, type PreviewData } from './crynux-fetch-result.preview';
import type { PreviewJobMessage, PreviewThreadMessage } from './crynux-fetch-result.preview-worker';

const port = parentPort;
if (port) {
  port.on('message', (job: PreviewJobMessage) => {
    let data: PreviewData | undefined;
    try {
      // The files arrive as Uint8Arrays; Buffer views over the same memory, no copy.
      const files = job.files.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength));
      // Only the first MAX_PREVIEW_IMAGES files were sent; count is the whole result's.
      data = { ...previewOf(files, job.size, job.taskId), count: job.count };
    } catch {
      data = undefined; // previewOf does not throw on bad images; this is only belt and braces
    }
    const answer: PreviewThreadMessage = { id: job.id, ...(data ? { data } : {}) };
    port.postMessage(answer);
  });
  // Said once the modules above have loaded: a thread that dies before this could not start.
  port.postMessage({ ready: true } satisfies PreviewThreadMessage);
}
