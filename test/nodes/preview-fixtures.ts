/**
 * Fixtures of the preview-thread tests: PNGs made with pngjs, and a watch on a PreviewPool's
 * threads (started, exited) and fallbacks.
 */
import type { Worker } from 'node:worker_threads';
import { PNG } from 'pngjs';
import type { PreviewPool } from '../../nodes/crynux-fetch-result.preview-worker';

/** A PNG with smooth gradients and a little noise, like an SD image; colour type and depth as asked. */
export function image(width: number, height: number, seed: number, colorType: 0 | 2 | 4 | 6 = 2, bitDepth: 8 | 16 = 8): Buffer {
  const png = new PNG({ width, height });
  let s = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const o = (y * width + x) * 4;
      png.data[o] = ((x * 255) / width + (s >> 20)) & 0xff;
      png.data[o + 1] = ((y * 255) / height) & 0xff;
      png.data[o + 2] = (seed * 50 + (s >> 24)) & 0xff;
      png.data[o + 3] = 128 + ((x + y) % 128);
    }
  }
  return PNG.sync.write(png, { colorType, bitDepth, inputHasAlpha: true });
}

/** An image the reader does not decode (interlace flag set), small enough to be sent as is. */
export function interlaced(): Buffer {
  const png = Buffer.from(image(40, 20, 9));
  png[28] = 1; // IHDR interlace method (the reader checks no CRC)
  return png;
}

/** Counts the threads a pool starts and remembers them. */
export function watch(pool: PreviewPool): { spawned: Worker[]; exited: Worker[]; reasons: string[] } {
  const seen = { spawned: [] as Worker[], exited: [] as Worker[], reasons: [] as string[] };
  pool.on('spawn', (w: Worker) => {
    seen.spawned.push(w);
    w.once('exit', () => seen.exited.push(w));
  });
  pool.on('fallback', (reason: string) => seen.reasons.push(reason));
  return seen;
}

export const exited = (w: Worker) => new Promise<void>((resolve) => (w.threadId === -1 ? resolve() : w.once('exit', () => resolve())));
