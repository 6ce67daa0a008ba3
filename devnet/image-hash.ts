/**
 * The devnet's 8-byte image hash: the stand-in for goimagehash's PerceptionHash (SPEC §7.3,
 * §7.6). Simulated workers commit it and the stand-in relay checks uploads with it, so
 * the two only need to agree with each other, not with the real DCT hash.
 *
 * It is an average hash: luminance averaged over an 8×8 grid of cells, one bit per cell
 * (1 = brighter than the mean of all cells), first cell in the most significant bit,
 * 8 bytes big-endian.
 */
import { PNG } from 'pngjs';

export const IMAGE_HASH_BYTES = 8;
const GRID = 8;

/** Columns (or rows) of cell `k` out of GRID over `size` pixels; never empty. */
export function cellRange(k: number, size: number): [number, number] {
  const from = Math.floor((k * size) / GRID);
  const to = Math.floor(((k + 1) * size) / GRID);
  return to > from ? [from, to] : [Math.min(from, size - 1), Math.min(from, size - 1) + 1];
}

/** Hash of decoded RGBA pixels. */
export function imageHashOfPixels(width: number, height: number, rgba: Uint8Array): Buffer {
  if (width < 1 || height < 1) throw new Error('image hash: empty image');
  const means: number[] = [];
  for (let cy = 0; cy < GRID; cy++) {
    const [y0, y1] = cellRange(cy, height);
    for (let cx = 0; cx < GRID; cx++) {
      const [x0, x1] = cellRange(cx, width);
      let sum = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const p = (y * width + x) * 4;
          sum += 299 * rgba[p] + 587 * rgba[p + 1] + 114 * rgba[p + 2];
        }
      }
      means.push(sum / ((y1 - y0) * (x1 - x0)));
    }
  }
  const avg = means.reduce((a, b) => a + b, 0) / means.length;
  let bits = 0n;
  for (const m of means) bits = (bits << 1n) | (m > avg ? 1n : 0n);
  return Buffer.from(bits.toString(16).padStart(IMAGE_HASH_BYTES * 2, '0'), 'hex');
}

/** Hash of a PNG file. Throws Go's `png: invalid format: …` text for non-PNG bytes (SPEC §4.3 C.6 → 500). */
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function imageHash(png: Uint8Array): Buffer {
  if (!Buffer.from(png.subarray(0, 8)).equals(PNG_SIGNATURE)) throw new Error('png: invalid format: not a PNG file');
  let decoded: PNG;
  try {
    decoded = PNG.sync.read(Buffer.from(png));
  } catch (err) {
    throw new Error(`png: invalid format: ${err instanceof Error ? err.message : String(err)}`);
  }
  return imageHashOfPixels(decoded.width, decoded.height, decoded.data);
}

/** Bits that differ between two equally long byte strings. */
export function hammingDistance(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError('hammingDistance: lengths differ');
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    let x = a[i] ^ b[i];
    while (x) {
      d += x & 1;
      x >>= 1;
    }
  }
  return d;
}
