/**
 * A preview thread that misbehaves on purpose, for fetch-result-preview-worker.test.ts (loaded
 * as a Worker script, never by mocha). It says ready like the real thread, then acts on each
 * job's taskId: "die" ends the thread, "throw" throws outside any handler, "hang" never answers;
 * any other job is answered as the real thread does.
 */
import { parentPort } from 'node:worker_threads';
import { previewOf } from '../../nodes/crynux-fetch-result.preview';
import type { PreviewJobMessage } from '../../nodes/crynux-fetch-result.preview-worker';

const port = parentPort;
if (port) {
  port.on('message', (job: PreviewJobMessage) => {
    if (job.taskId === 'die') process.exit(3); // in a Worker this ends the thread only
    if (job.taskId === 'throw') setImmediate(() => { throw new Error('thread broke'); });
    if (job.taskId === 'die' || job.taskId === 'throw' || job.taskId === 'hang') return;
    const files = job.files.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength));
    port.postMessage({ id: job.id, data: { ...previewOf(files, job.size, job.taskId), count: job.count } });
  });
  port.postMessage({ ready: true });
}
