/**
 * HTTP plumbing of the stand-in relay: the JSON envelope of SPEC §4.1, open CORS, the
 * 32 MiB body limit, and Go's strconv wording for path and query numbers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { goJson, type OutValue } from './json';

/** SPEC §4.1. */
export const BODY_LIMIT_BYTES = 32 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  constructor() {
    super('http: request body too large');
  }
}

/** Reads the whole body; past the limit it keeps draining (so the client can read our answer) and throws. */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT_BYTES) tooLarge = true;
    else chunks.push(chunk as Buffer);
  }
  if (tooLarge) throw new BodyTooLargeError();
  return Buffer.concat(chunks);
}

function cors(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', '*');
}

export function sendJson(res: ServerResponse, status: number, body: OutValue): void {
  cors(res);
  const text = goJson(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** 200 `{"message":"success"[,"data":…]}`. */
export function sendSuccess(res: ServerResponse, data?: OutValue): void {
  sendJson(res, 200, data === undefined ? { message: 'success' } : { message: 'success', data });
}

/** 400 business error (SPEC §4.1). */
export function sendValidation(res: ServerResponse, field: string, message: string): void {
  sendJson(res, 400, { message: 'validation_error', data: { field_name: field, message } });
}

/** 500 with the Go error text. */
export function sendException(res: ServerResponse, message: string): void {
  sendJson(res, 500, { message });
}

/** gin's default for unknown routes and methods. */
export function sendNotFound(res: ServerResponse): void {
  cors(res);
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('404 page not found');
}

export function sendPreflight(res: ServerResponse): void {
  cors(res);
  res.writeHead(204);
  res.end();
}

export function sendFile(res: ServerResponse, fileName: string, bytes: Buffer): void {
  cors(res);
  res.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': `attachment; filename=${fileName}`,
    'Content-Length': bytes.length,
  });
  res.end(bytes);
}

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/** strconv.ParseUint(s, 10, 64): digits only, leading zeros allowed (`/042` is 42). */
export function parseUint64(s: string): { value: bigint } | { error: string } {
  if (!/^[0-9]+$/.test(s)) return { error: `strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax` };
  const v = BigInt(s);
  if (v > UINT64_MAX) return { error: `strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range` };
  return { value: v };
}

/** strconv.ParseInt(s, 10, 64). */
export function parseInt64(s: string): { value: bigint } | { error: string } {
  if (!/^[+-]?[0-9]+$/.test(s)) return { error: `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax` };
  const v = BigInt(s);
  if (v > INT64_MAX || v < INT64_MIN) return { error: `strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range` };
  return { value: v };
}

export { UINT64_MAX, INT64_MAX, INT64_MIN };
