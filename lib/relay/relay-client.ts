/**
 * The relay's creator-side API (SPEC §4.2): upload the task arguments (A), read the task
 * (B) and download result files (D). Every request is signed afresh with a skew-corrected
 * timestamp (SPEC §5.4, §5.6); answers are classified (SPEC §4.6) and transient ones
 * retried with backoff until the caller's deadline.
 */
import { ConfigError, RelayRejectedError, ResultIntegrityError, TaskArgsError, TimeoutError } from '../errors';
import {
  classifyNetworkError, classifyRelayAnswer, RELAY_MESSAGE_HINTS, signRelayFields, normalizePrivateKey,
  type RelayAnswerClass, type RelayFields, type RelaySignature,
} from '../protocol';
import type { Logger, RetryOptions, UploadResult } from '../client-types';
import { abortable, abortReasonError, backoffDelay, sleep, throwIfAborted, type BackoffPolicy } from './backoff';
import { seconds } from '../fetch-error';

export interface RelayClientOptions {
  /** Base URL without /v1, e.g. http://127.0.0.1:8080. */
  relayUrl: string;
  /** Creator key (with or without 0x). Kept inside a closure; never logged. */
  privateKey: string;
  /** Timeout of one HTTP request, ms. Default 30,000. */
  requestTimeoutMs?: number;
  backoff?: BackoffPolicy;
  /** Overall default when RetryOptions.timeoutMs is absent, ms. Default 120,000. */
  defaultTimeoutMs?: number;
  fetch?: typeof fetch;
  random?: () => number;
  logger?: Logger;
}

/** Internal extension: a check run before each retry (e.g. "the task was aborted on chain"). */
export interface RelayRetryOptions extends RetryOptions {
  stopIf?: () => Error | undefined;
  /** Give up (TimeoutError) after this many transient answers, even before the deadline. */
  maxAttempts?: number;
}

export interface RelayHttpAnswer {
  status: number;
  /** Parsed JSON (or text) for error answers and JSON successes. */
  body: unknown;
  /** Raw bytes of a successful download. */
  bytes?: Buffer;
  /** The request's path without the query (which carries the signature), for messages. */
  path?: string;
}

function checkRelayUrl(url: unknown): string {
  if (typeof url !== 'string' || !url.trim()) throw new ConfigError('relayUrl must be the relay base URL, e.g. https://relay.example');
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw new ConfigError(`relayUrl is not a valid URL (expected http(s)://host[:port])`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(`relayUrl must use http or https, got ${u.protocol}`);
  // Accept a pasted ".../v1" too: our paths add it.
  return u.href.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** The relay keeps task ids as Go uint64 (SPEC §5.3). */
function checkRelayTaskId(taskId: bigint): void {
  if (typeof taskId !== 'bigint' || taskId <= 0n || taskId >= 2n ** 64n) {
    throw new TaskArgsError(`taskId must be a whole number from 1 to 2^64−1 for the relay, got ${String(taskId)}`, [
      { path: 'taskId', message: 'expected a whole number from 1 to 2^64−1' },
    ]);
  }
}

export class RelayClient {
  readonly baseUrl: string;
  private readonly sign: (fields: RelayFields, ts: number) => RelaySignature;
  private readonly o: Required<Pick<RelayClientOptions, 'requestTimeoutMs' | 'defaultTimeoutMs'>> & RelayClientOptions;
  private readonly fetchFn: typeof fetch;
  private offsetMs = 0;
  private clock: Promise<void> | undefined;

  constructor(opts: RelayClientOptions) {
    this.baseUrl = checkRelayUrl(opts.relayUrl);
    const key = normalizePrivateKey(opts.privateKey);
    this.sign = (fields, ts) => signRelayFields(key, fields, ts);
    this.o = {
      ...opts,
      privateKey: '',
      requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
      defaultTimeoutMs: opts.defaultTimeoutMs ?? 120_000,
    };
    this.fetchFn = opts.fetch ?? fetch;
  }

  /** Relay time minus local time, ms (SPEC §5.6). */
  get clockOffsetMs(): number {
    return this.offsetMs;
  }

  /** Unix seconds as the relay sees them now. */
  timestamp(): number {
    return Math.floor((Date.now() + this.offsetMs) / 1000);
  }

  /** GET /v1/now; keeps the offset. A relay without it leaves the offset at 0. */
  async syncClock(): Promise<void> {
    const t0 = Date.now();
    try {
      const ans = await this.http('GET', '/v1/now', undefined, AbortSignal.timeout(this.o.requestTimeoutMs));
      const now = (ans.body as { data?: { now?: unknown } })?.data?.now;
      if (ans.status === 200 && typeof now === 'number' && Number.isFinite(now)) {
        this.offsetMs = now * 1000 + 500 - (t0 + Date.now()) / 2; // +500: the relay truncates to seconds
        return;
      }
      this.o.logger?.debug(`relay /v1/now answered ${ans.status}; signing with the local clock`);
    } catch (err) {
      this.o.logger?.debug(`relay /v1/now failed (${(err as Error).message}); signing with the local clock`);
    }
  }

  /** Syncs once, shared by concurrent requests; one caller's abort does not cancel it for the others. */
  private ensureClock(signal?: AbortSignal): Promise<void> {
    return abortable((this.clock ??= this.syncClock()), signal);
  }

  /** A: upload the argument string for `taskId`; "Task already uploaded" counts as success. */
  async uploadTaskArgs(taskId: bigint, taskArgs: string, opts: RelayRetryOptions = {}): Promise<UploadResult> {
    checkRelayTaskId(taskId);
    if (typeof taskArgs !== 'string' || taskArgs.length === 0) {
      throw new ConfigError('taskArgs must be the exact, non-empty argument string that was hashed for createTask');
    }
    const { done } = await this.retry(`upload of task ${taskId}'s arguments`, opts, async (signal) => {
      const ts = this.timestamp();
      const { signature } = this.sign({ task_args: taskArgs, task_id: taskId }, ts);
      // Built by hand: task_id is a JSON number that may exceed 2^53 (SPEC §5.4, §8 item 17).
      const body = `{"task_args":${JSON.stringify(taskArgs)},"task_id":${taskId},"timestamp":${ts},"signature":"${signature}"}`;
      return this.http('POST', '/v1/inference_tasks', body, signal);
    });
    return { alreadyUploaded: done, uploadedAt: new Date().toISOString() };
  }

  /** B: the relay's task object (status, nodes). */
  async getTask(taskId: bigint, opts: RelayRetryOptions = {}): Promise<unknown> {
    checkRelayTaskId(taskId);
    const { answer } = await this.retry(`relay status of task ${taskId}`, opts, (signal) =>
      this.http('GET', this.signedPath(`/v1/inference_tasks/${taskId}`, { task_id: taskId }), undefined, signal),
    );
    return (answer.body as { data?: unknown })?.data;
  }

  /** D: one result file; bodies above `maxBytes` are refused while streaming. */
  async downloadResult(taskId: bigint, index: number, opts: RelayRetryOptions & { maxBytes?: number } = {}): Promise<Buffer> {
    checkRelayTaskId(taskId);
    if (!Number.isSafeInteger(index) || index < 0) throw new TaskArgsError(`index must be a whole number ≥ 0, got ${index}`, [{ path: 'index', message: 'expected a whole number ≥ 0' }]);
    const imageNum = String(index); // a string in the signed payload, identical to the URL segment (SPEC §5.3)
    const { answer } = await this.retry(`download of task ${taskId} result ${index}`, opts, (signal) =>
      this.http(
        'GET',
        this.signedPath(`/v1/inference_tasks/${taskId}/results/${imageNum}`, { image_num: imageNum, task_id: taskId }),
        undefined, signal, opts.maxBytes,
      ),
    );
    return answer.bytes ?? Buffer.alloc(0);
  }

  private signedPath(path: string, fields: RelayFields): string {
    const ts = this.timestamp();
    const { signature } = this.sign(fields, ts);
    return `${path}?timestamp=${ts}&signature=${signature}`;
  }

  /**
   * Runs `request` until it succeeds, with backoff on transient answers (SPEC §4.6), one clock
   * re-sync on "Invalid signature", and a TimeoutError naming the last answer at the deadline.
   */
  async retry(
    label: string,
    opts: RelayRetryOptions,
    request: (signal: AbortSignal) => Promise<RelayHttpAnswer>,
  ): Promise<{ answer: RelayHttpAnswer; done: boolean }> {
    const timeoutMs = opts.timeoutMs ?? this.o.defaultTimeoutMs;
    const started = Date.now();
    const deadline = started + timeoutMs;
    let resynced = false;
    let last: RelayAnswerClass | undefined;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(opts.signal);
      const stop = opts.stopIf?.();
      if (stop) throw stop;
      await this.ensureClock(opts.signal);
      const requestMs = Math.max(1, Math.min(this.o.requestTimeoutMs, deadline - Date.now()));
      const perRequest = AbortSignal.timeout(requestMs);
      const signal = opts.signal ? AbortSignal.any([opts.signal, perRequest]) : perRequest;
      let answer: RelayHttpAnswer | undefined;
      let cls: RelayAnswerClass;
      try {
        answer = await request(signal);
        cls = classifyRelayAnswer(answer.status, answer.body, answer.path);
      } catch (err) {
        if (opts.signal?.aborted) throw abortReasonError(opts.signal);
        // Only a failed exchange is worth retrying; our own errors (size limit, bad id) are not.
        if (!(err instanceof NetworkError)) throw err;
        if (perRequest.aborted && requestMs < this.o.requestTimeoutMs && last) {
          cls = last; // a last attempt cut short by the overall deadline: report the previous answer
        } else {
          cls = perRequest.aborted
            ? { kind: 'transient', message: `no answer within ${seconds(requestMs)}`, status: 0 }
            : classifyNetworkError(err.cause);
        }
      }
      last = cls;
      if (cls.kind === 'success' && answer) return { answer, done: false };
      if (cls.kind === 'done' && answer) return { answer, done: true };
      if (cls.kind === 'fatal') {
        if (cls.resyncClock && !resynced) {
          resynced = true; // SPEC §4.6: re-sync the clock, re-sign, retry once
          this.clock = undefined;
          await this.ensureClock(opts.signal);
          continue;
        }
        throw new RelayRejectedError(cls.status, cls.message, cls.field, RELAY_MESSAGE_HINTS[cls.message]);
      }
      const left = deadline - Date.now();
      if (left <= 0 || attempt >= (opts.maxAttempts ?? Infinity)) {
        throw new TimeoutError(`${label}: gave up after ${seconds(Date.now() - started)}; the relay's last answer was "${cls.message}"`);
      }
      const delayMs = Math.min(left, backoffDelay(attempt, this.o.backoff, this.o.random));
      opts.onRetry?.({ attempt, delayMs, reason: cls.message });
      await sleep(delayMs, opts.signal);
    }
  }

  /** One HTTP exchange. JSON answers are parsed; a 200 download keeps its raw bytes. */
  async http(method: string, path: string, body: string | undefined, signal?: AbortSignal, maxBytes?: number): Promise<RelayHttpAnswer> {
    const res = await network(() => this.fetchFn(`${this.baseUrl}${path}`, {
      method,
      headers: body !== undefined ? { 'content-type': 'application/json' } : undefined,
      body,
      signal,
    }));
    const isDownload = maxBytes !== undefined || path.includes('/results/');
    const bare = path.split('?')[0];
    if (res.status === 200 && isDownload) {
      const m = /\/inference_tasks\/(\d+)\/results\/(\d+)$/.exec(bare);
      const what = m ? `Result file ${m[2]} of task ${m[1]}` : 'The result file';
      return { status: 200, body: undefined, bytes: await readLimited(res, maxBytes ?? Infinity, what), path: bare };
    }
    const text = await network(() => res.text());
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // plain text (e.g. "404 page not found")
    }
    return { status: res.status, body: parsed, path: bare };
  }
}

/** A failed HTTP exchange (refused, reset, timed out): the one kind of exception retried. */
class NetworkError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

async function network<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new NetworkError(err);
  }
}

/** 33554432 → "32 MiB", 104 → "0.0001 MiB (104 bytes)": limits are set in MiB, small ones stay readable. */
function mib(bytes: number): string {
  const m = bytes / 1024 / 1024;
  return m >= 0.1 ? `${Number(m.toFixed(1))} MiB` : `${Number(m.toPrecision(2))} MiB (${bytes} bytes)`;
}

async function readLimited(res: Response, maxBytes: number, what: string): Promise<Buffer> {
  const tooLarge = (n: string) => new ResultIntegrityError(`${what} is larger than the limit of ${mib(maxBytes)}: ${n}; refused`);
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw tooLarge(`the relay announced ${mib(declared)}`);
  }
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await network(() => reader.read());
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge('more than that was received');
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}
