/**
 * What the SD and GPT builders share: the result shape, the single serialisation of the args
 * (SPEC §6.1: build the text once, never re-serialise it), validation of the output, and
 * messages phrased in terms of the caller's option names.
 */
import { randomInt } from 'node:crypto';
import { TaskArgsError, type ValidationIssue } from '../errors';
import { taskHash } from '../protocol/task-hash';
import { summariseIssues, validateTaskArgs } from './validate';

/** Everything createTask and the relay upload need (SPEC §2, §3.4). */
export interface BuiltTask {
  /** 0 = Stable Diffusion, 1 = GPT. */
  taskType: 0 | 1;
  /** The exact compact JSON text: hashed, uploaded and signed as is. Never re-serialise it. */
  taskArgs: string;
  /** keccak256(utf8(taskArgs)), 0x + 64 hex. */
  taskHash: string;
  /** Minimum GPU memory in GB (SPEC §6.6). */
  vramLimit: number;
  /** num_images for SD, 1 for GPT; never 0 (SPEC §3.5). */
  cap: number;
}

/** A fresh seed in 0…2^31−1, the range every 2024 schema accepts. */
export function randomSeed(): number {
  return randomInt(0, 2 ** 31);
}

/** JSON.stringify throws on bigint; callers coming from chain code may hand us one. */
function bigintAsNumber(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/** Serialises once (compact, key order as built). */
export function serialiseArgs(args: object): string {
  return JSON.stringify(args, bigintAsNumber);
}

/** Throws a TaskArgsError unless `options` is a plain object whose keys are all known. */
export function checkOptionKeys(kind: string, options: unknown, known: readonly string[], prefix = ''): Record<string, unknown> {
  if (!options || typeof options !== 'object' || Array.isArray(options)) {
    const path = prefix ? prefix.slice(0, -1) : '(options)';
    throw new TaskArgsError(`${prefix ? path : `${kind} options`} must be an object`, [{ path, message: 'must be an object' }]);
  }
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || known.includes(key)) continue;
    const guess = known.find((k) => k.toLowerCase() === key.toLowerCase().replace(/[_-]/g, ''));
    issues.push({ path: prefix + key, message: `is not a known option${guess ? ` (did you mean '${guess}'?)` : ''}` });
  }
  if (issues.length) throw new TaskArgsError(`Invalid ${kind} options: ${summariseIssues(issues)}`, issues);
  return options as Record<string, unknown>;
}

/** Validates a vramLimit override: a whole number of GB. */
export function checkVramLimit(value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1024) {
    const issue = { path: 'vramLimit', message: 'must be a whole number of GB from 1 to 1024' };
    throw new TaskArgsError(`${issue.path} ${issue.message}`, [issue]);
  }
  return value;
}

function camel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Maps a schema path (`task_config.num_images`) to the option the caller set (`numImages`).
 * `renames` maps a snake segment to the option name ('' drops the segment); after an `args`
 * segment keys are passed through verbatim (they are diffusers/preprocessor keys).
 */
export function optionPath(path: string, renames: Readonly<Record<string, string>>): string {
  if (path === '(root)') return '(options)';
  const out: string[] = [];
  let verbatim = false;
  for (const seg of path.split('.')) {
    const m = /^([^[]*)(\[.*)?$/.exec(seg) ?? [seg, seg, ''];
    const [, name, index = ''] = m;
    const renamed = verbatim ? name : name in renames ? renames[name] : camel(name);
    if (renamed) out.push(renamed + index);
    if (name === 'args') verbatim = true;
  }
  return out.join('.') || '(options)';
}

/** Serialises, validates (strict) and hashes; bad output becomes a TaskArgsError naming the options. */
export function finishBuild(
  kind: 'SD' | 'GPT',
  taskType: 0 | 1,
  args: object,
  vramLimit: number,
  cap: (parsed: Record<string, unknown>) => number,
  renames: Readonly<Record<string, string>>,
): BuiltTask {
  const taskArgs = serialiseArgs(args);
  const result = validateTaskArgs(taskType, taskArgs);
  if (!result.valid) {
    const issues = result.issues.map((i) => ({ ...i, path: optionPath(i.path, renames) }));
    throw new TaskArgsError(`Invalid ${kind} task options: ${summariseIssues(issues)}`, issues);
  }
  const parsed = JSON.parse(taskArgs) as Record<string, unknown>;
  return { taskType, taskArgs, taskHash: taskHash(taskArgs), vramLimit, cap: cap(parsed) };
}
