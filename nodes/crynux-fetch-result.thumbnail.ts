/**
 * A small PNG downscaler for the editor preview, on node:zlib alone (the pack has no image
 * dependency at run time). Reads non-interlaced PNGs of every colour type and bit depth,
 * averages pixel boxes down to `maxSide`, and writes an 8-bit RGBA PNG. Anything it cannot
 * read returns undefined: the preview is a convenience and must never fail a message.
 */
import zlib from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** 4096 × 4096: far above any SD output; bigger images are not decoded (memory bound). */
const MAX_PIXELS = 4096 * 4096;
/** Channels per PNG colour type (gray, -, RGB, palette, gray+alpha, -, RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export interface Thumbnail {
  png: Buffer;
  width: number;
  height: number;
}

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
}

/** The image's own size, or undefined when `png` is not a PNG. */
export function pngSize(png: Buffer): { width: number; height: number } | undefined {
  if (png.length < 24 || !png.subarray(0, 8).equals(SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** A PNG no larger than `maxSide` on either side, or undefined if `png` cannot be read. */
export function thumbnail(png: Buffer, maxSide: number): Thumbnail | undefined {
  try {
    const decoded = decode(png);
    if (!decoded) return undefined;
    const { width, height, rgba } = decoded;
    const scale = Math.min(1, maxSide / Math.max(width, height));
    const tw = Math.max(1, Math.round(width * scale));
    const th = Math.max(1, Math.round(height * scale));
    return { png: encode(tw, th, boxDownscale(rgba, width, height, tw, th)), width: tw, height: th };
  } catch {
    return undefined;
  }
}

function decode(png: Buffer): { width: number; height: number; rgba: Uint8Array } | undefined {
  if (png.length < 8 || !png.subarray(0, 8).equals(SIGNATURE)) return undefined;
  let header: Header | undefined;
  let palette: Buffer | undefined;
  let alphas: Buffer | undefined;
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (data.length !== length) return undefined;
    if (type === 'IHDR' && length >= 13) {
      header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8], colorType: data[9], interlace: data[12] };
    } else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') alphas = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (!header || header.interlace !== 0 || !(header.colorType in CHANNELS)) return undefined;
  const { width, height, depth, colorType } = header;
  if (width === 0 || height === 0 || width * height > MAX_PIXELS) return undefined;
  if (![1, 2, 4, 8, 16].includes(depth) || (depth < 8 && colorType !== 0 && colorType !== 3)) return undefined;
  if (colorType === 3 && !palette) return undefined;

  const channels = CHANNELS[colorType];
  const bitsPerPixel = channels * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const raw = zlib.inflateSync(Buffer.concat(idat), { maxOutputLength: (stride + 1) * height });
  if (raw.length < (stride + 1) * height) return undefined;

  const rgba = new Uint8Array(width * height * 4);
  const maxSample = (1 << Math.min(depth, 8)) - 1;
  // 16-bit samples keep their high byte; sub-byte samples are unpacked from the left.
  const sample = (row: Uint8Array, x: number, c: number): number => {
    if (depth === 16) return row[(x * channels + c) * 2];
    if (depth === 8) return row[x * channels + c];
    const bit = x * depth;
    return (row[bit >> 3] >> (8 - depth - (bit & 7))) & maxSample;
  };
  let prev: Uint8Array = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = unfilter(raw[y * (stride + 1)], raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), prev, bpp);
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (colorType === 3) {
        const i = sample(row, x, 0);
        rgba[o] = palette![i * 3] ?? 0;
        rgba[o + 1] = palette![i * 3 + 1] ?? 0;
        rgba[o + 2] = palette![i * 3 + 2] ?? 0;
        rgba[o + 3] = alphas?.[i] ?? 255;
      } else if (colorType === 0 || colorType === 4) {
        const g = depth < 8 ? Math.round((sample(row, x, 0) * 255) / maxSample) : sample(row, x, 0);
        rgba[o] = rgba[o + 1] = rgba[o + 2] = g;
        rgba[o + 3] = colorType === 4 ? sample(row, x, 1) : 255;
      } else {
        // Colour-key transparency (tRNS on gray/RGB) is ignored: such pixels show opaque.
        rgba[o] = sample(row, x, 0);
        rgba[o + 1] = sample(row, x, 1);
        rgba[o + 2] = sample(row, x, 2);
        rgba[o + 3] = colorType === 6 ? sample(row, x, 3) : 255;
      }
    }
    prev = row;
  }
  return { width, height, rgba };
}

/** Undoes one row's filter (None, Sub, Up, Average, Paeth). */
function unfilter(filter: number, line: Uint8Array, prev: Uint8Array, bpp: number): Uint8Array {
  const out = new Uint8Array(line.length);
  for (let i = 0; i < line.length; i++) {
    const a = i >= bpp ? out[i - bpp] : 0;
    const b = prev[i];
    const c = i >= bpp ? prev[i - bpp] : 0;
    let p: number;
    switch (filter) {
      case 0: p = 0; break;
      case 1: p = a; break;
      case 2: p = b; break;
      case 3: p = (a + b) >> 1; break;
      case 4: {
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        break;
      }
      default: throw new Error(`PNG filter ${filter}`);
    }
    out[i] = (line[i] + p) & 0xff;
  }
  return out;
}

/** Averages each target pixel's box of source pixels, weighting colour by alpha. */
function boxDownscale(src: Uint8Array, w: number, h: number, tw: number, th: number): Uint8Array {
  if (tw === w && th === h) return src;
  const acc = new Float64Array(tw * th * 5);
  for (let y = 0; y < h; y++) {
    const ty = Math.floor((y * th) / h);
    for (let x = 0; x < w; x++) {
      const t = (ty * tw + Math.floor((x * tw) / w)) * 5;
      const s = (y * w + x) * 4;
      const a = src[s + 3];
      acc[t] += src[s] * a;
      acc[t + 1] += src[s + 1] * a;
      acc[t + 2] += src[s + 2] * a;
      acc[t + 3] += a;
      acc[t + 4] += 1;
    }
  }
  const out = new Uint8Array(tw * th * 4);
  for (let i = 0; i < tw * th; i++) {
    const alpha = acc[i * 5 + 3];
    for (let c = 0; c < 3; c++) out[i * 4 + c] = alpha > 0 ? Math.round(acc[i * 5 + c] / alpha) : 0;
    out[i * 4 + 3] = Math.round(alpha / acc[i * 5 + 4]);
  }
  return out;
}

function encode(width: number, height: number, rgba: Uint8Array): Buffer {
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(rgba.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // bit depth 8, RGBA, deflate, filter method 0, not interlaced
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

let crcTable: Uint32Array | undefined;
function crc32(bytes: Buffer): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
