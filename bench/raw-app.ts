/**
 * The benchmarks' straightforward application is the devnet's spec-direct RawApp; this adds
 * the labelled baseline for "result ready → msg".
 */
import { RawApp } from '../devnet/raw-app';
import { sleep } from './stats';

export { RawApp, http, type HttpAnswer } from '../devnet/raw-app';

/**
 * Baseline for "result ready → msg": download file 0…cap−1, retrying each blindly every
 * `everyMs` until the relay answers 200 (no chain events). Counts relay requests.
 */
export async function blindDownload(
  app: RawApp,
  taskId: bigint,
  cap: number,
  opts: { everyMs?: number; timeoutMs?: number } = {},
): Promise<{ files: Buffer[]; requests: number }> {
  const every = opts.everyMs ?? 1000;
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const files: Buffer[] = [];
  let requests = 0;
  for (let i = 0; i < cap; i++) {
    for (;;) {
      requests++;
      const a = await app.download(taskId, i);
      if (a.status === 200) {
        files.push(a.bytes);
        break;
      }
      if (Date.now() > deadline) throw new Error(`blind download of task ${taskId}: still "${a.text.slice(0, 80)}" at the deadline`);
      await sleep(every);
    }
  }
  return { files, requests };
}
