/**
 * Deterministic "inference" for the simulated GPU workers. Every honest node computes the
 * same bytes from the task arguments alone, so their results agree (SPEC §7.3); a
 * `variant` string makes a node deliberately different (markers `illegal`, `slash`).
 *
 * - SD: PNGs of the requested size, an 8×8 grid of colours drawn from prompt + seed + image
 *   index; result = the devnet image hash of each PNG, concatenated (8 bytes each).
 * - GPT: one reply file in the exact bytes of the node's Python `json.dump` (SPEC §6.5);
 *   result = sha256 of the file.
 */
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import { cellRange, imageHash } from '../image-hash';

/** Largest image the simulated GPU renders (pixels); larger requests are reported as errors. */
export const MAX_IMAGE_PIXELS = 1024 * 1024;

function digest(...parts: (string | number)[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

// ---------------------------------------------------------------- Stable Diffusion

export interface SdRequest {
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  numImages: number;
  seed: number;
}

/** The fields the simulated SD worker reads, with the node's defaults (SPEC §6.2). */
export function sdRequestOf(args: Record<string, unknown>): SdRequest {
  const cfg = (args.task_config ?? {}) as Record<string, unknown>;
  const num = (v: unknown, d: number) => (typeof v === 'number' ? v : d);
  return {
    prompt: String(args.prompt ?? ''),
    negativePrompt: typeof args.negative_prompt === 'string' ? args.negative_prompt : '',
    width: num(cfg.image_width, 512),
    height: num(cfg.image_height, 512),
    numImages: num(cfg.num_images, 6),
    seed: num(cfg.seed, 0),
  };
}

/** Why the simulated GPU cannot render this request, or null. */
export function sdRequestProblem(r: SdRequest): string | null {
  for (const [name, v] of [['image_width', r.width], ['image_height', r.height]] as const) {
    if (!Number.isInteger(v) || v < 1) return `task_config.${name} must be a positive whole number`;
  }
  if (r.width * r.height > MAX_IMAGE_PIXELS) return `images above ${MAX_IMAGE_PIXELS} pixels are not simulated`;
  if (!Number.isInteger(r.numImages) || r.numImages < 1 || r.numImages > 10) return 'task_config.num_images must be 1…10';
  return null;
}

/** One PNG: every pixel takes the colour of its grid cell, so the image hash sees the grid exactly. */
export function sdImage(r: SdRequest, index: number, variant = ''): Buffer {
  const colours = Buffer.concat([0, 1, 2, 3, 4, 5, 6].map((k) => digest('sd', r.prompt, r.negativePrompt, r.seed, index, variant, k)));
  const png = new PNG({ width: r.width, height: r.height, colorType: 2, inputColorType: 6 });
  const cellOfX = new Uint8Array(r.width);
  for (let c = 0; c < 8; c++) {
    const [x0, x1] = cellRange(c, r.width);
    cellOfX.fill(c, x0, x1);
  }
  for (let cy = 0; cy < 8; cy++) {
    const [y0, y1] = cellRange(cy, r.height);
    for (let y = y0; y < y1; y++) {
      for (let x = 0; x < r.width; x++) {
        const cell = (cy * 8 + cellOfX[x]) * 3;
        const p = (y * r.width + x) * 4;
        png.data[p] = colours[cell];
        png.data[p + 1] = colours[cell + 1];
        png.data[p + 2] = colours[cell + 2];
        png.data[p + 3] = 255;
      }
    }
  }
  return PNG.sync.write(png, { colorType: 2 });
}

export function sdImages(r: SdRequest, variant = ''): Buffer[] {
  return Array.from({ length: r.numImages }, (_, i) => sdImage(r, i, variant));
}

/** SD result: the 8-byte hash of each image, in order (SPEC §7.3). */
export function sdResult(images: readonly Uint8Array[]): Buffer {
  return Buffer.concat(images.map((png) => imageHash(png)));
}

// ---------------------------------------------------------------- GPT

/** Python's json string literal with ensure_ascii (the default): everything outside ' '…'~' escaped. */
export function pyJsonString(s: string): string {
  const named: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const code = s.charCodeAt(i);
    if (named[c]) out += named[c];
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`; // UTF-16 units: astral → pair
    else out += c;
  }
  return `${out}"`;
}

export type PyJson = null | boolean | number | string | PyJson[] | { [key: string]: PyJson };

/** Python `json.dump(obj, f)` with default settings: `", "` and `": "` separators. */
export function pyJsonDumps(v: PyJson): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new RangeError('pyJsonDumps: only integers are written by the simulated worker');
    return String(v);
  }
  if (typeof v === 'string') return pyJsonString(v);
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${pyJsonString(k)}: ${pyJsonDumps(x)}`).join(', ')}}`;
}

export interface GptMessage {
  role: string;
  content: string;
}

const WORDS = ['the', 'devnet', 'answers', 'with', 'simulated', 'tokens', 'from', 'a', 'deterministic', 'model', 'that', 'never', 'tires'];

const countTokens = (s: string) => s.split(/\s+/).filter(Boolean).length;

/** The reply file of the simulated LLM (SPEC §6.5): bytes exactly as a 2024 node wrote them. */
export function gptReplyFile(args: Record<string, unknown>, variant = ''): Buffer {
  const model = String(args.model ?? '');
  const messages = (Array.isArray(args.messages) ? args.messages : []) as GptMessage[];
  const gen = (args.generation_config ?? {}) as Record<string, unknown>;
  const maxTokens = typeof gen.max_new_tokens === 'number' && gen.max_new_tokens > 0 ? gen.max_new_tokens : 256;
  const sequences = typeof gen.num_return_sequences === 'number' && gen.num_return_sequences > 0 ? gen.num_return_sequences : 1;
  const seed = typeof args.seed === 'number' ? args.seed : 0;
  const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const promptTokens = messages.reduce((n, m) => n + countTokens(String(m.content ?? '')) + 1, 0);

  let completionTokens = 0;
  const choices: PyJson[] = [];
  for (let i = 0; i < sequences; i++) {
    const h = digest('gpt', model, JSON.stringify(messages), seed, i, variant);
    const echo = `You said: ${lastUser}`;
    // A variant (a dishonest node) differs from the first token on, whatever max_new_tokens is.
    const tokens = [...(variant ? [`(${variant})`] : []), ...echo.split(/\s+/).filter(Boolean), ...Array.from({ length: 6 + (h[0] % 24) }, (_, k) => WORDS[h[(k + 1) % 32] % WORDS.length])];
    const used = tokens.slice(0, maxTokens);
    completionTokens += used.length;
    choices.push({
      finish_reason: used.length < tokens.length ? 'length' : 'stop',
      message: { role: 'assistant', content: `\n\n${used.join(' ')}` },
      index: i,
    });
  }
  const reply: PyJson = {
    model,
    choices,
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
  return Buffer.from(pyJsonDumps(reply), 'utf8');
}

/** GPT result: sha256 of the file (SPEC §7.3). */
export function gptResult(file: Uint8Array): Buffer {
  return createHash('sha256').update(file).digest();
}
