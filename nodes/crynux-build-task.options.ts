/**
 * crynux-build-task: turns the dialog's settings (strings) and the msg into the option
 * objects of lib/task-args, and takes raw `msg.crynux.taskArgs` from power users. All
 * protocol rules (defaults, ranges, vramLimit, cap) stay in the lib.
 */
import { TaskArgsError } from '../lib/errors';
import { taskHash } from '../lib/protocol';
import {
  GPT_DEFAULT_VRAM_LIMIT,
  assertValidTaskArgs,
  sdVramLimit,
  type BuiltTask,
  type GptTaskOptions,
  type SdTaskOptions,
} from '../lib/task-args';
import { optionalField, type CrynuxMsg } from './shared';

export interface BuildTaskSettings {
  taskType?: string; // 'sd' | 'gpt'
  model?: string; // SD preset name or 'custom'
  customModel?: string;
  prompt?: string;
  negativePrompt?: string;
  numImages?: string | number;
  steps?: string | number;
  cfg?: string | number;
  seed?: string | number;
  width?: string | number;
  height?: string | number;
  scheduler?: string;
  safetyChecker?: boolean;
  lora?: string;
  controlnet?: string;
  gptModel?: string;
  systemPrompt?: string;
  maxNewTokens?: string | number;
  temperature?: string | number;
  topP?: string | number;
  topK?: string | number;
  vramLimit?: string | number;
}

/** `field` is a dialog setting, or a msg property (`msg.…`), which is not a "Setting". */
function bad(field: string, expected: string): never {
  const what = field.startsWith('msg.') ? field : `Setting "${field}"`;
  throw new TaskArgsError(`${what} must be ${expected}`, [{ path: field, message: `must be ${expected}` }]);
}

/** '' → undefined; otherwise a finite number (the lib checks the range and names the option). */
function num(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return undefined;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  return Number.isFinite(n) ? n : bad(field, 'a number');
}

/** Settings from imported flows may hold numbers where the dialog writes strings. */
function trimmed(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : String(v).trim();
}

function json(v: unknown, field: string): unknown {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return bad(field, 'valid JSON (or left empty)');
  }
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Drops undefined values so they do not shadow lib defaults or count as "given". */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function sdOptionsFromSettings(s: BuildTaskSettings): Partial<SdTaskOptions> {
  const scheduler = text(s.scheduler);
  return compact({
    model: s.model === 'custom' ? text(trimmed(s.customModel)) ?? bad('customModel', 'a Hugging Face model id') : text(s.model),
    prompt: text(s.prompt),
    negativePrompt: text(s.negativePrompt),
    numImages: num(s.numImages, 'numImages'),
    steps: num(s.steps, 'steps'),
    cfg: num(s.cfg, 'cfg'),
    seed: num(s.seed, 'seed'),
    width: num(s.width, 'width'),
    height: num(s.height, 'height'),
    safetyChecker: s.safetyChecker === true ? true : undefined,
    scheduler: scheduler ? ({ method: scheduler, args: null } as SdTaskOptions['scheduler']) : undefined,
    lora: json(s.lora, 'lora') as SdTaskOptions['lora'],
    controlnet: json(s.controlnet, 'controlnet') as SdTaskOptions['controlnet'],
    vramLimit: num(s.vramLimit, 'vramLimit'),
  });
}

export function gptOptionsFromSettings(s: BuildTaskSettings): Partial<GptTaskOptions> {
  return compact({
    model: text(trimmed(s.gptModel)),
    systemPrompt: text(s.systemPrompt),
    prompt: text(s.prompt),
    maxNewTokens: num(s.maxNewTokens, 'maxNewTokens'),
    temperature: num(s.temperature, 'temperature'),
    topP: num(s.topP, 'topP'),
    topK: num(s.topK, 'topK'),
    seed: num(s.seed, 'seed'),
    vramLimit: num(s.vramLimit, 'vramLimit'),
  });
}

/**
 * Applies msg.payload: a string is the prompt; an array (GPT) is the messages (the dialog's
 * system prompt is put first unless they bring their own); an object merges over the dialog.
 */
export function applyPayload<T extends Record<string, unknown>>(base: T, payload: unknown, gpt: boolean): T {
  if (typeof payload === 'string' && payload !== '') return { ...base, prompt: payload };
  if (gpt && Array.isArray(payload)) return withMessages(base, payload);
  if (payload && typeof payload === 'object' && !Array.isArray(payload) && !Buffer.isBuffer(payload)) {
    const o = payload as Record<string, unknown>;
    return gpt && o.messages !== undefined ? withMessages({ ...base, ...o }, o.messages) : { ...base, ...o };
  }
  return base;
}

function withMessages<T extends Record<string, unknown>>(base: T, messages: unknown): T {
  const { prompt: _p, systemPrompt, ...rest } = base as Record<string, unknown>;
  const list = Array.isArray(messages) ? messages : bad('msg.payload.messages', 'a list of {role, content} objects');
  const hasSystem = list.some((m) => (m as { role?: unknown })?.role === 'system');
  const sys = typeof systemPrompt === 'string' && systemPrompt && !hasSystem ? [{ role: 'system', content: systemPrompt }] : [];
  return { ...rest, messages: [...sys, ...list] } as unknown as T;
}

/** Validates power-user args from msg.crynux.taskArgs (string or object) and completes the task fields. */
export function fromRawArgs(msg: CrynuxMsg, dialogType: 0 | 1): BuiltTask {
  const raw = msg.crynux?.taskArgs as unknown;
  const taskType = optionalField<0 | 1>(msg, 'taskType') ?? dialogType;
  let taskArgs: string | undefined;
  try {
    taskArgs = typeof raw === 'string' ? raw : raw && typeof raw === 'object' ? JSON.stringify(raw) : undefined;
  } catch {
    // e.g. a BigInt or a cycle: not representable as JSON text.
    bad('msg.crynux.taskArgs', 'JSON text or an object of plain values (no BigInt, no circular references)');
  }
  if (!taskArgs) bad('msg.crynux.taskArgs', 'the task arguments as a JSON string or an object');
  try {
    assertValidTaskArgs(taskType, taskArgs);
  } catch (err) {
    if (err instanceof TaskArgsError) {
      const issues = err.issues.map((i) => ({ ...i, path: `msg.crynux.taskArgs.${i.path}` }));
      throw new TaskArgsError(`msg.crynux.taskArgs is not valid: ${err.message}`, issues);
    }
    throw err;
  }
  const parsed = JSON.parse(taskArgs) as Record<string, any>;
  const model = typeof parsed.base_model === 'string' ? parsed.base_model : parsed.base_model?.name;
  const derivedVram = taskType === 0 ? sdVramLimit(String(model ?? ''), !!parsed.refiner) : GPT_DEFAULT_VRAM_LIMIT;
  const vramLimit = optionalField<number>(msg, 'vramLimit') ?? derivedVram;
  const cap = taskType === 0 ? Number(parsed.task_config?.num_images) : 1;
  return { taskType, taskArgs, taskHash: taskHash(taskArgs), vramLimit, cap };
}
