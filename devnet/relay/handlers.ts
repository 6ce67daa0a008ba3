/**
 * The four signed task endpoints of the relay (SPEC §4.2 A–D), each in the exact check
 * order of SPEC §4.3. Field names of binding errors follow the Go relay: JSON names for
 * A's body, Go struct names (`TaskId`, `Timestamp`, `Signature`, `ImageNum`) for path,
 * query and form inputs (SPEC §4.1).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { taskHash, type RelayFields } from '../../lib/protocol';
import type { ValidationIssue } from '../../lib/errors';
import { GoJsonSyntaxError, JsonNumber, goJsonKind, parseGoJson, type JsonValue } from './json';
import { parseInt64, parseUint64, readBody, sendException, sendFile, sendSuccess, sendValidation } from './http';
import { RelayStatus, taskObject, type FileStore, type RelayTask, type TaskStore } from './store';
import { verifyRelaySignature } from './verify';

export interface HandlerContext {
  store: TaskStore;
  files: FileStore;
  /** Relay clock, unix seconds. */
  now: () => number;
  /** SD result hash of one PNG: 8 bytes (throws for non-PNG bytes). */
  imageHash: (png: Uint8Array) => Uint8Array;
  /** Schema check of parsed task arguments (SPEC §6.3: unknown keys pass). */
  validateArgs: (taskType: number, args: unknown) => { valid: true } | { valid: false; issues: ValidationIssue[] };
  /** Called after each state change made by a request (for waiting tests). */
  onChange?: () => void;
}

type Res = ServerResponse;
const sameAddress = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();
const fileExt = (t: RelayTask) => (t.taskType === 0 ? 'png' : 'json');

/** A JsonValue tree as plain JS data (numbers as numbers), for the schema check. */
function plain(v: JsonValue): unknown {
  if (v instanceof JsonNumber) return Number(v.raw);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: plain(x), enumerable: true, writable: true });
    return out;
  }
  return v;
}

/** Checks a signature; answers and returns null when it fails (C: 500 for Go errors, SPEC §5.5). */
function checkSignature(ctx: HandlerContext, res: Res, fields: RelayFields, ts: bigint, sig: string, isUpload: boolean): string | null {
  const check = verifyRelaySignature(fields, ts, sig, Math.floor(ctx.now()));
  if (check.ok) return check.signer;
  if (isUpload && check.kind === 'error') sendException(res, check.reason);
  else sendValidation(res, 'signature', 'Invalid signature');
  return null;
}

// ---------------------------------------------------------------- A: upload task args

const A_FIELDS = [
  ['task_args', 'string'],
  ['task_id', 'uint64'],
  ['timestamp', 'int64'],
  ['signature', 'string'],
] as const;

export async function uploadTaskArgs(ctx: HandlerContext, req: IncomingMessage, res: Res): Promise<void> {
  // 1. binding (gin picks the JSON binding by Content-Type only)
  const body = await readBody(req);
  const isJson = /^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '');
  const values: { task_args: string; task_id: bigint; timestamp: bigint; signature: string } = {
    task_args: '', task_id: 0n, timestamp: 0n, signature: '',
  };
  if (isJson) {
    const text = body.toString('utf8');
    if (text.trim() === '') return sendValidation(res, 'body', 'EOF');
    let doc: JsonValue;
    try {
      doc = parseGoJson(text, { allowTrailing: true });
    } catch (err) {
      return sendValidation(res, 'body', (err as Error).message);
    }
    if (doc !== null) {
      if (typeof doc !== 'object' || doc instanceof JsonNumber || Array.isArray(doc)) {
        const kind = doc instanceof JsonNumber ? 'number' : goJsonKind(doc);
        return sendValidation(res, 'body', `json: cannot unmarshal ${kind} into Go value of type v1.TaskArgsInput`);
      }
      let typeError: [string, string] | undefined;
      for (const [key, v] of Object.entries(doc)) {
        // Go matches keys exactly first, then case-insensitively.
        const field = A_FIELDS.find(([n]) => n === key) ?? A_FIELDS.find(([n]) => n.toLowerCase() === key.toLowerCase());
        if (!field || v === null) continue;
        const [name, type] = field;
        const mismatch = () =>
          (typeError ??= [name, `json: cannot unmarshal ${goJsonKind(v)} into Go struct field TaskArgsInput.${name} of type ${type}`]);
        if (type === 'string') {
          if (typeof v === 'string') values[name as 'task_args' | 'signature'] = v;
          else mismatch();
        } else if (v instanceof JsonNumber) {
          const parsed = type === 'uint64' ? parseUint64(v.raw) : parseInt64(v.raw);
          if ('value' in parsed) values[name as 'task_id' | 'timestamp'] = parsed.value;
          else mismatch();
        } else mismatch();
      }
      if (typeError) return sendValidation(res, typeError[0], typeError[1]);
    }
  }
  for (const [name] of A_FIELDS) {
    const v = values[name];
    if (v === '' || v === 0n) return sendValidation(res, name, 'required');
  }
  const { task_args: args, task_id: taskId, timestamp, signature } = values;

  // 2. signature
  const signer = checkSignature(ctx, res, { task_args: args, task_id: taskId }, timestamp, signature, false);
  if (!signer) return;
  // 3. indexed from the chain?
  const t = ctx.store.get(taskId);
  if (!t) return sendValidation(res, 'task_id', 'Task not found on the Blockchain');
  // 4. JSON, then schema
  let parsedArgs: JsonValue;
  try {
    parsedArgs = parseGoJson(args);
  } catch (err) {
    if (err instanceof GoJsonSyntaxError) return sendException(res, err.message);
    throw err;
  }
  const schema = ctx.validateArgs(t.taskType, plain(parsedArgs));
  if (!schema.valid) {
    return sendValidation(res, 'task_args', `jsonschema: ${schema.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
  }
  // 5. signer is the creator
  if (!sameAddress(signer, t.creator)) return sendValidation(res, 'signature', 'Signer not allowed');
  // 6. not yet uploaded (also covers aborted tasks)
  if (t.status !== RelayStatus.Pending) return sendValidation(res, 'task_id', 'Task already uploaded');
  // 7. the uploaded string is the hashed one
  if (taskHash(args).toLowerCase() !== t.taskHash) return sendValidation(res, 'task_hash', 'Task hash mismatch');
  // 8. store
  ctx.store.setArgs(t, args);
  ctx.onChange?.();
  sendSuccess(res, taskObject(t, false));
}

// ---------------------------------------------------------------- shared path/query binding

interface Bound {
  taskId: bigint;
  timestamp: bigint;
  signature: string;
}

/** Binds TaskId (path) and Timestamp/Signature (query or form); answers and returns null on errors. */
function bind(res: Res, rawTaskId: string, ts: string | undefined, sig: string | undefined, extra?: [string, string]): Bound | null {
  const id = parseUint64(rawTaskId);
  if ('error' in id) return sendValidation(res, 'TaskId', id.error), null;
  let timestamp = 0n;
  if (ts !== undefined && ts !== '') {
    const parsed = parseInt64(ts);
    if ('error' in parsed) return sendValidation(res, 'Timestamp', parsed.error), null;
    timestamp = parsed.value;
  }
  if (extra && extra[1] === '') return sendValidation(res, extra[0], 'required'), null;
  if (id.value === 0n) return sendValidation(res, 'TaskId', 'required'), null;
  if (timestamp === 0n) return sendValidation(res, 'Timestamp', 'required'), null;
  if (!sig) return sendValidation(res, 'Signature', 'required'), null;
  return { taskId: id.value, timestamp, signature: sig };
}

// ---------------------------------------------------------------- B: get task

export async function getTask(ctx: HandlerContext, res: Res, rawTaskId: string, query: URLSearchParams): Promise<void> {
  const b = bind(res, rawTaskId, query.get('timestamp') ?? undefined, query.get('signature') ?? undefined);
  if (!b) return;
  const signer = checkSignature(ctx, res, { task_id: b.taskId }, b.timestamp, b.signature, false);
  if (!signer) return;
  const t = ctx.store.get(b.taskId);
  if (!t) return sendValidation(res, 'task_id', 'Task not found');
  if (t.status !== RelayStatus.Aborted && (t.status < RelayStatus.ArgsUploaded || t.nodes.length < 3)) {
    return sendValidation(res, 'task_id', 'Task not ready');
  }
  if (!sameAddress(signer, t.creator) && !t.nodes.some((n) => sameAddress(n.address, signer))) {
    return sendValidation(res, 'signature', 'Signer not allowed');
  }
  sendSuccess(res, taskObject(t, true));
}

// ---------------------------------------------------------------- C: upload results

async function readForm(req: IncomingMessage): Promise<FormData | null> {
  const body = await readBody(req);
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(type)) return null;
  try {
    return await new Request('http://relay.invalid/', { method: 'POST', headers: { 'content-type': type }, body }).formData();
  } catch {
    return null; // malformed multipart: no fields bound
  }
}

export async function uploadResults(ctx: HandlerContext, req: IncomingMessage, res: Res, rawTaskId: string): Promise<void> {
  const form = await readForm(req);
  const text = (name: string) => form?.getAll(name).find((x): x is string => typeof x === 'string');
  const b = bind(res, rawTaskId, text('timestamp'), text('signature'));
  if (!b) return;
  const signer = checkSignature(ctx, res, { task_id: b.taskId }, b.timestamp, b.signature, true);
  if (!signer) return;
  const t = ctx.store.get(b.taskId);
  if (!t) return sendValidation(res, 'task_id', 'Task not found');
  if (t.status !== RelayStatus.Success) return sendValidation(res, 'task_id', 'Task not success');
  if (t.nodes.length < 3) return sendValidation(res, 'task_id', 'Task not ready');
  if (!sameAddress(signer, t.resultNode)) return sendValidation(res, 'signature', 'Signer not allowed');

  const files: Buffer[] = [];
  for (const part of form?.getAll('images') ?? []) {
    if (typeof part !== 'string') files.push(Buffer.from(await part.arrayBuffer()));
  }
  const hashes: Buffer[] = [];
  for (const f of files) {
    if (t.taskType === 0) {
      try {
        hashes.push(Buffer.from(ctx.imageHash(f)));
      } catch (err) {
        return sendException(res, (err as Error).message);
      }
    } else {
      hashes.push(createHash('sha256').update(f).digest());
    }
  }
  if (`0x${Buffer.concat(hashes).toString('hex')}` !== t.result) return sendValidation(res, 'images', 'Wrong images uploaded');

  const names = files.map((_, i) => String(i));
  for (let i = 0; i < files.length; i++) await ctx.files.put(t.taskId, `${names[i]}.${fileExt(t)}`, files[i]);
  // A second upload racing this one must still see "Task not success".
  if (t.status !== RelayStatus.Success) return sendValidation(res, 'task_id', 'Task not success');
  ctx.store.setUploaded(t, names);
  ctx.onChange?.();
  sendSuccess(res);
}

// ---------------------------------------------------------------- D: download a result

export async function getResult(ctx: HandlerContext, res: Res, rawTaskId: string, imageNum: string, query: URLSearchParams): Promise<void> {
  const b = bind(res, rawTaskId, query.get('timestamp') ?? undefined, query.get('signature') ?? undefined, ['ImageNum', imageNum]);
  if (!b) return;
  const signer = checkSignature(ctx, res, { image_num: imageNum, task_id: b.taskId }, b.timestamp, b.signature, false);
  if (!signer) return;
  const t = ctx.store.get(b.taskId);
  if (!t) return sendValidation(res, 'task_id', 'Task not found');
  if (!sameAddress(signer, t.creator)) return sendValidation(res, 'signature', 'Signer not allowed');
  if (t.status !== RelayStatus.ResultsUploaded) return sendValidation(res, 'task_id', 'Task results not uploaded');
  // image_num is a verbatim file name: "00" never matches "0" (SPEC §4.3 D.5).
  if (!t.files.includes(imageNum)) return sendValidation(res, 'image_num', 'File not found');
  const name = `${imageNum}.${fileExt(t)}`;
  sendFile(res, name, await ctx.files.get(t.taskId, name));
}

