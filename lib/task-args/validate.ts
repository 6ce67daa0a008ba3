/**
 * Validation of task argument JSON against the pack's own schemas (schemas/*.json, SPEC §6.2–6.4),
 * with messages that name the field and say in plain words what was expected.
 *
 * Strict (default): our safe profile (§6.3): no unknown keys, explicit task_config values.
 * `allowUnknownKeys: true`: what the 2024 relay let through (its schema never set
 * additionalProperties:false, §6.3) — the relay stand-in's mode. It also stops requiring the
 * explicit task_config values, which the real relay did not require either.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { TaskArgsError, type ValidationIssue } from '../errors';
import { isWellFormedString } from '../protocol/go-json';
import sdSchema from '../../schemas/sd-task-args.schema.json';
import gptSchema from '../../schemas/gpt-task-args.schema.json';

export interface ValidateTaskArgsOptions {
  /** Let unknown keys through, like the 2024 relay did (SPEC §6.3). Default false. */
  allowUnknownKeys?: boolean;
  /** Require steps, num_images, seed, safety_checker, image_width, image_height (§8 trap 21). Default: !allowUnknownKeys. */
  requireExplicitDefaults?: boolean;
}

export type TaskArgsValidation = { valid: true } | { valid: false; issues: ValidationIssue[] };

/** The relay's body limit is 32 MiB (SPEC §4.1); the args travel inside a JSON body next to a few small fields. */
export const MAX_TASK_ARGS_BYTES = 32 * 1024 * 1024 - 4096;

type Json = unknown;

/**
 * A copy of `schema` without `additionalProperties: false` (when `dropAdditional`) and without
 * the taskConfig `required` list (when `dropExplicit`).
 */
function relax(schema: Json, dropAdditional: boolean, dropExplicit: boolean, atTaskConfig = false): Json {
  if (Array.isArray(schema)) return schema.map((s) => relax(s, dropAdditional, dropExplicit));
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(schema as Record<string, Json>)) {
    if (dropAdditional && k === 'additionalProperties' && v === false) continue;
    if (dropExplicit && atTaskConfig && k === 'required') continue;
    out[k] = relax(v, dropAdditional, dropExplicit, k === 'taskConfig');
  }
  return out;
}

interface Validators {
  sd: ValidateFunction;
  gpt: ValidateFunction;
}
const cache = new Map<string, Validators>();

function validatorsFor(allowUnknownKeys: boolean, requireExplicit: boolean): Validators {
  const key = `${allowUnknownKeys}/${requireExplicit}`;
  let v = cache.get(key);
  if (!v) {
    // verbose: errors carry their schema, so messages can state the full allowed range.
    const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true });
    ajv.addKeyword({ keyword: 'x-hint', schemaType: 'string' });
    const prep = (schema: Json): object => {
      const out = relax(schema, allowUnknownKeys, !requireExplicit) as { $defs?: Record<string, Json> };
      // The 2024 relay left image sizes unconstrained (SPEC §6.2); only our strict profile bounds them.
      if (allowUnknownKeys && out.$defs?.imageSide) out.$defs.imageSide = { type: 'integer', minimum: 1 };
      return out;
    };
    v = { sd: ajv.compile(prep(sdSchema)), gpt: ajv.compile(prep(gptSchema)) };
    cache.set(key, v);
  }
  return v;
}

/** `/task_config/num_images` → `task_config.num_images`; `/messages/0/role` → `messages[0].role`. */
export function formatIssuePath(pointer: string, extra?: string): string {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  let out = '';
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || '(root)';
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

type SchemaLike = Record<string, unknown>;

function rangeWords(s: SchemaLike): string | null {
  const what = s.type === 'integer' ? 'a whole number' : s.type === 'number' ? 'a number' : null;
  if (!what) return null;
  const min = s.minimum as number | undefined;
  const max = s.maximum as number | undefined;
  const xmin = s.exclusiveMinimum as number | undefined;
  const parts: string[] = [];
  if (min !== undefined && max !== undefined) parts.push(`from ${min} to ${max}`);
  else if (min !== undefined) parts.push(`of at least ${min}`);
  else if (xmin !== undefined) parts.push(`greater than ${xmin}${max !== undefined ? ` and at most ${max}` : ''}`);
  else if (max !== undefined) parts.push(`of at most ${max}`);
  if (s.multipleOf !== undefined) parts.push(`that is a multiple of ${String(s.multipleOf)}`);
  return `must be ${what}${parts.length ? ` ${parts.join(' ')}` : ''}`;
}

function typeWords(t: unknown): string {
  const list = Array.isArray(t) ? t : [t];
  return list.map((x) => TYPE_WORDS[String(x)] ?? String(x)).join(' or ');
}

function listWords(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v))).join(', ');
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length];
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (dist < bestD) [best, bestD] = [c, dist];
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** One ajv error → one plain-words issue (null for noise such as a failed `if`), with its x-hint. */
function issueOf(e: ErrorObject): ValidationIssue | null {
  const parent = (e.parentSchema ?? {}) as SchemaLike;
  const xHint = typeof parent['x-hint'] === 'string' ? parent['x-hint'] : undefined;
  const issue = plainIssue(e, parent, xHint ? ` (${xHint})` : '');
  if (issue && xHint && issue.message.endsWith(` (${xHint})`)) issue.hint = xHint;
  return issue;
}

function plainIssue(e: ErrorObject, parent: SchemaLike, hint: string): ValidationIssue | null {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'if':
      return null;
    case 'required':
      return { path: formatIssuePath(e.instancePath, String(p.missingProperty)), message: `is required${hint}` };
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const known = Object.keys((parent.properties as object | undefined) ?? {});
      const guess = closest(key, known);
      const typo = guess ? `typo? did you mean '${guess}'?` : `typo? allowed here: ${known.join(', ')}`;
      return { path: formatIssuePath(e.instancePath, key), message: `unknown field '${key}' (${typo})` };
    }
    case 'type':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'multipleOf': {
      const range = rangeWords(parent);
      const msg = range ?? `must be ${typeWords(p.type ?? parent.type)}`;
      return { path: formatIssuePath(e.instancePath), message: `${msg}${hint}` };
    }
    case 'enum':
      return {
        path: formatIssuePath(e.instancePath),
        message: `must be one of ${listWords(p.allowedValues as unknown[])}${hint}`,
      };
    case 'const':
      return { path: formatIssuePath(e.instancePath), message: `must be ${listWords([p.allowedValue])}${hint}` };
    case 'minLength':
      return {
        path: formatIssuePath(e.instancePath),
        message: p.limit === 1 ? `must not be empty${hint}` : `must be at least ${String(p.limit)} characters long${hint}`,
      };
    case 'maxLength':
      return { path: formatIssuePath(e.instancePath), message: `must be at most ${String(p.limit)} characters long${hint}` };
    case 'minItems':
      return { path: formatIssuePath(e.instancePath), message: `must have at least ${String(p.limit)} item(s)${hint}` };
    case 'pattern':
      return { path: formatIssuePath(e.instancePath), message: `has an unexpected form${hint || ` (expected ${String(p.pattern)})`}` };
    default:
      return { path: formatIssuePath(e.instancePath), message: e.message ?? 'is invalid' };
  }
}

/** Every string (keys too) must be well-formed Unicode: the relay would sign and hash U+FFFD instead (SPEC §5.2). */
function brokenStrings(value: unknown, pointer: string, out: ValidationIssue[]): void {
  const msg = 'contains a broken character (an unpaired UTF-16 surrogate); the relay would hash U+FFFD instead';
  if (typeof value === 'string') {
    if (!isWellFormedString(value)) out.push({ path: formatIssuePath(pointer), message: msg });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => brokenStrings(v, `${pointer}/${i}`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const child = `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (!isWellFormedString(k)) out.push({ path: formatIssuePath(child), message: `field name ${msg}` });
      brokenStrings(v, child, out);
    }
  }
}

/**
 * Checks task arguments (the exact JSON string, or an already-parsed object) for taskType 0 (SD)
 * or 1 (GPT). Never throws.
 */
export function validateTaskArgs(
  taskType: number,
  args: string | object,
  options: ValidateTaskArgsOptions = {},
): TaskArgsValidation {
  if (taskType !== 0 && taskType !== 1) {
    return { valid: false, issues: [{ path: 'taskType', message: 'must be 0 (Stable Diffusion) or 1 (GPT)' }] };
  }
  let value: unknown = args;
  if (typeof args === 'string') {
    if (!isWellFormedString(args)) {
      return {
        valid: false,
        issues: [{ path: '(root)', message: 'contain a broken character (an unpaired UTF-16 surrogate); the relay would hash U+FFFD instead' }],
      };
    }
    if (Buffer.byteLength(args, 'utf8') > MAX_TASK_ARGS_BYTES) {
      return { valid: false, issues: [{ path: '(root)', message: 'are larger than the relay accepts (32 MiB)' }] };
    }
    try {
      value = JSON.parse(args);
    } catch (err) {
      // The relay answers 500 "invalid character …" for this (SPEC §8 trap 19).
      return { valid: false, issues: [{ path: '(root)', message: `are not valid JSON (${(err as Error).message})` }] };
    }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { valid: false, issues: [{ path: '(root)', message: 'must be a JSON object' }] };
  }
  const allowUnknownKeys = options.allowUnknownKeys ?? false;
  const requireExplicit = options.requireExplicitDefaults ?? !allowUnknownKeys;
  const validators = validatorsFor(allowUnknownKeys, requireExplicit);
  const validate = taskType === 0 ? validators.sd : validators.gpt;
  const issues: ValidationIssue[] = [];
  brokenStrings(value, '', issues);
  if (!validate(value)) {
    const seen = new Set<string>();
    for (const e of validate.errors ?? []) {
      const issue = issueOf(e);
      if (!issue) continue;
      const key = `${issue.path}\u0000${issue.message}`;
      if (!seen.has(key)) issues.push(issue);
      seen.add(key);
    }
  }
  return issues.length ? { valid: false, issues } : { valid: true };
}

/**
 * "task_config.num_images must be a whole number from 1 to 10; prompt is required". A hint
 * shared by several fields (e.g. every missing task_config value) is shown once; issues about
 * the whole text (path `(root)`) read "The task arguments are not valid JSON (…)".
 */
export function summariseIssues(issues: readonly ValidationIssue[], limit = 5): string {
  const hints = new Set<string>();
  const shown = issues.slice(0, limit).map((i) => {
    let message = i.message;
    if (i.hint !== undefined && message.endsWith(` (${i.hint})`)) {
      if (hints.has(i.hint)) message = message.slice(0, -(i.hint.length + 3));
      hints.add(i.hint);
    }
    return i.path === '(root)' ? `The task arguments ${message}` : `${i.path} ${message}`;
  });
  if (issues.length > limit) shown.push(`and ${issues.length - limit} more`);
  return shown.join('; ');
}

/** Like validateTaskArgs, but throws a TaskArgsError with a readable summary. */
export function assertValidTaskArgs(taskType: number, args: string | object, options?: ValidateTaskArgsOptions): void {
  const result = validateTaskArgs(taskType, args, options);
  if (!result.valid) {
    const kind = taskType === 0 ? 'Stable Diffusion' : taskType === 1 ? 'GPT' : 'task';
    const [first] = result.issues;
    // A problem with the whole text is the whole story: "The GPT task arguments are not valid JSON (…)".
    const message = result.issues.length === 1 && first.path === '(root)'
      ? `The ${kind === 'task' ? '' : `${kind} `}task arguments ${first.message}`
      : `Invalid ${kind} task arguments: ${summariseIssues(result.issues)}`;
    throw new TaskArgsError(message, result.issues);
  }
}
