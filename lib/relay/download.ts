/**
 * Downloading a task's result files (SPEC §4.5, §6.5) with integrity checks: every SD file
 * must be a PNG, every GPT file must hash (sha256) to its 32 bytes of TaskSuccess.result
 * before anyone parses it, and no file may exceed `maxBytes`.
 */
import { createHash } from 'node:crypto';
import { RelayRejectedError, ResultIntegrityError, TaskArgsError } from '../errors';
import type { DownloadedResults, DownloadOptions } from '../client-types';
import type { RelayClient, RelayRetryOptions } from './relay-client';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const DEFAULT_MAX_RESULT_BYTES = 32 * 1024 * 1024;

/** Bytes of TaskSuccess.result per file: an 8-byte pHash per SD image, a sha256 per GPT file (SPEC §3.8). */
export const RESULT_BYTES_PER_FILE: Record<0 | 1, number> = { 0: 8, 1: 32 };

/** Splits TaskSuccess.result into one chunk per file; checks its shape. */
export function resultChunks(result: string, taskType: 0 | 1): Buffer[] {
  if (typeof result !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(result)) {
    throw new TaskArgsError('result must be the 0x hex bytes of TaskSuccess.result', [
      { path: 'result', message: 'expected 0x followed by an even number of hex digits' },
    ]);
  }
  const bytes = Buffer.from(result.slice(2), 'hex');
  const per = RESULT_BYTES_PER_FILE[taskType];
  if (bytes.length === 0 || bytes.length % per !== 0) {
    throw new TaskArgsError(`result has ${bytes.length} bytes; a ${taskType === 0 ? 'SD' : 'GPT'} result has a multiple of ${per}`, [
      { path: 'result', message: `expected a non-zero multiple of ${per} bytes` },
    ]);
  }
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += per) chunks.push(bytes.subarray(i, i + per));
  return chunks;
}

/** Throws ResultIntegrityError when file `index` fails its check. */
export function checkResultFile(taskType: 0 | 1, index: number, file: Buffer, expected?: Buffer): void {
  if (taskType === 0) {
    if (file.length < 8 || !file.subarray(0, 8).equals(PNG_SIGNATURE)) {
      throw new ResultIntegrityError(`Result file ${index} is not a PNG image (${file.length} bytes without the PNG signature)`);
    }
    return;
  }
  if (expected) {
    const actual = createHash('sha256').update(file).digest();
    if (!actual.equals(expected)) {
      throw new ResultIntegrityError(
        `Result file ${index}: sha256 0x${actual.toString('hex')} differs from the on-chain result 0x${expected.toString('hex')}`,
      );
    }
  }
}

function checkTaskType(taskType: unknown): 0 | 1 {
  if (taskType === 0 || taskType === 1) return taskType;
  throw new TaskArgsError(`taskType must be 0 (SD) or 1 (GPT), got ${JSON.stringify(taskType)}`, [
    { path: 'taskType', message: 'expected 0 or 1' },
  ]);
}

/**
 * Files 0…n−1 of a successful task. n comes from `result` (SD: length / 8; GPT: 1); without
 * `result`, SD files are fetched until the relay says "File not found".
 */
export async function downloadResults(
  relay: RelayClient,
  taskId: bigint,
  taskTypeIn: 0 | 1,
  opts: DownloadOptions & Pick<RelayRetryOptions, 'stopIf' | 'maxAttempts'> = {},
): Promise<DownloadedResults> {
  const taskType = checkTaskType(taskTypeIn);
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_RESULT_BYTES;
  const parallel = Math.max(1, Math.floor(opts.parallel ?? 4));
  const expected = opts.result !== undefined ? resultChunks(opts.result, taskType) : undefined;
  // One deadline for the whole download, shared by all files.
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  // The first failure stops the other downloads.
  const stopAll = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stopAll.signal]) : stopAll.signal;
  const fileOpts = () => ({ ...opts, signal, maxBytes, timeoutMs: Math.max(1, deadline - Date.now()) });

  const fetchOne = async (i: number): Promise<Buffer> => {
    const file = await relay.downloadResult(taskId, i, fileOpts());
    checkResultFile(taskType, i, file, expected?.[i]);
    return file;
  };

  if (!expected && taskType === 0) {
    // Unknown count: probe in order after file 0 (which may still be in transit).
    const files = [await fetchOne(0)];
    for (let i = 1; ; i++) {
      try {
        files.push(await fetchOne(i));
      } catch (err) {
        if (err instanceof RelayRejectedError && err.relayMessage === 'File not found') break;
        throw err;
      }
    }
    return { files };
  }

  const count = expected ? expected.length : 1;
  const files: Buffer[] = new Array(count);
  let next = 0;
  const workers = Array.from({ length: Math.min(parallel, count) }, async () => {
    while (next < count) {
      const i = next++;
      try {
        files[i] = await fetchOne(i);
      } catch (err) {
        if (!stopAll.signal.aborted) stopAll.abort(err);
        throw err;
      }
    }
  });
  await Promise.all(workers);
  return { files };
}
