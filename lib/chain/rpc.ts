/**
 * JSON-RPC over HTTP with failover across several endpoints (ARCHITECTURE "One client per
 * wallet"). Only a failure to *get an answer* (refused, reset, DNS, timeout, an HTTP
 * error without a JSON-RPC body) moves to the next URL; a JSON-RPC error is an answer and
 * is thrown as `RpcAnswerError` without failover. Every URL's chain id and genesis block are
 * checked before its first use, so a misconfigured spare can never receive our transactions.
 */
import { EventEmitter } from 'node:events';
import { ChainConnectionError, ChainRpcError, ConfigError } from '../errors';
import { describeFetchError } from '../fetch-error';

/**
 * A JSON-RPC error object returned by the node (an answer, not an outage): code CHAIN_RPC,
 * the node's own code in `rpcCode` and its words in `rpcMessage`.
 */
export class RpcAnswerError extends ChainRpcError {
  readonly data: unknown;
  readonly method: string;
  constructor(method: string, error: { code?: unknown; message?: unknown; data?: unknown }) {
    const rpcMessage = typeof error.message === 'string' ? error.message : JSON.stringify(error);
    super(`The RPC node refused ${method}: ${rpcMessage}`, {
      rpcCode: typeof error.code === 'number' ? error.code : undefined,
      rpcMessage,
    });
    this.method = method;
    this.data = error.data;
  }
}

export interface RpcTransportOptions {
  urls: string[];
  /** Expected chain id; when absent the first endpoint's id becomes the expectation. */
  chainId?: number;
  /** Per-request HTTP timeout. Default 15 s. */
  timeoutMs?: number;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

export interface RpcHealthEvent {
  url: string;
  error?: string;
}

/**
 * URL as shown in status, logs and errors: RPC URLs often carry an API key in the query,
 * user info or a long path segment, so those parts are masked.
 */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname
      .split('/')
      .map((seg) => (seg.length > 24 ? `${seg.slice(0, 4)}…` : seg))
      .join('/');
    return `${u.protocol}//${u.host}${path === '/' ? '' : path}`;
  } catch {
    return '(invalid URL)';
  }
}

function checkUrls(urls: unknown): string[] {
  if (!Array.isArray(urls) || urls.length === 0) throw new ConfigError('rpcUrls must list at least one JSON-RPC URL');
  return urls.map((u, i) => {
    if (typeof u !== 'string') throw new ConfigError(`rpcUrls[${i}] must be a string URL`);
    let parsed: URL;
    try {
      parsed = new URL(u.trim());
    } catch {
      throw new ConfigError(`rpcUrls[${i}] is not a valid URL (expected http(s)://host[:port][/path])`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new ConfigError(`rpcUrls[${i}] must use http or https, got ${parsed.protocol}`);
    }
    return u.trim();
  });
}

/** Block 0's hash from an eth_getBlockByNumber answer; undefined for a refusal or no block. */
function genesisOf(answer: JsonRpcResponse): string | undefined {
  const hash = (answer.result as { hash?: unknown } | null | undefined)?.hash;
  return typeof hash === 'string' && /^0x[0-9a-fA-F]{64}$/.test(hash) ? hash.toLowerCase() : undefined;
}

interface JsonRpcResponse {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

/**
 * Emits `failover` (switched URL), `down` (no endpoint answered) and `up` (answers again),
 * each with an RpcHealthEvent.
 */
export class RpcTransport extends EventEmitter {
  readonly urls: readonly string[];
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private expectedChainId: bigint | undefined;
  private expectedGenesis: string | undefined;
  private current = 0;
  private readonly verified = new Set<number>();
  private nextId = 1;
  private down = false;
  private lastErr: string | undefined;

  constructor(opts: RpcTransportOptions) {
    super();
    this.urls = checkUrls(opts.urls);
    if (opts.chainId !== undefined && (!Number.isSafeInteger(opts.chainId) || opts.chainId <= 0)) {
      throw new ConfigError(`chainId must be a positive integer, got ${String(opts.chainId)}`);
    }
    this.expectedChainId = opts.chainId === undefined ? undefined : BigInt(opts.chainId);
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.fetchFn = opts.fetch ?? fetch;
  }

  /** The URL now in use (masked for display). */
  get url(): string {
    return displayUrl(this.urls[this.current]);
  }

  get chainId(): number | undefined {
    return this.expectedChainId === undefined ? undefined : Number(this.expectedChainId);
  }

  get lastError(): string | undefined {
    return this.lastErr;
  }

  /** Checks the current endpoint's chain id (failing over like any request). */
  async connect(): Promise<number> {
    const id = BigInt((await this.request<string>('eth_chainId', [])) as string);
    return Number(id);
  }

  /**
   * Hash of block 0 of the chain the endpoints serve, once an endpoint was checked (connect()):
   * what tells a chain from a reset of it with the same chain id. Undefined when no endpoint
   * has served block 0 (some pruned or proxied endpoints do not).
   */
  get genesisHash(): string | undefined {
    return this.expectedGenesis;
  }

  /** One JSON-RPC call with failover; throws RpcAnswerError for a node's error answer. */
  async request<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const problems: string[] = [];
    for (let step = 0; step < this.urls.length; step++) {
      const index = (this.current + step) % this.urls.length;
      let answer: JsonRpcResponse;
      try {
        await this.verify(index);
        answer = await this.post(index, method, params);
      } catch (err) {
        if (err instanceof ConfigError) {
          this.markDown(err.message); // health shows why nothing is sent, not an older outage
          throw err;
        }
        // After an outage the endpoint may come back as another chain (a devnet restarted on the
        // same port: same id, task ids from 1 again), so it is checked again before its next use.
        this.verified.delete(index);
        problems.push(`${displayUrl(this.urls[index])}: ${(err as Error).message}`);
        continue;
      }
      this.markUp(index);
      if (answer.error) throw new RpcAnswerError(method, answer.error);
      return answer.result as T;
    }
    const message = `No RPC endpoint answered ${method}: ${problems.join('; ')}`;
    this.markDown(message);
    throw new ChainConnectionError(message);
  }

  private async verify(index: number): Promise<void> {
    if (this.verified.has(index)) return;
    const answer = await this.post(index, 'eth_chainId', []);
    if (answer.error || typeof answer.result !== 'string') {
      throw new Error(`eth_chainId failed: ${JSON.stringify(answer.error ?? answer.result)}`);
    }
    const actual = BigInt(answer.result);
    if (this.expectedChainId === undefined) this.expectedChainId = actual;
    else if (actual !== this.expectedChainId) {
      throw new ConfigError(
        `RPC ${displayUrl(this.urls[index])} is chain ${actual}, expected ${this.expectedChainId}`,
      );
    }
    // The same id is not the same chain: a spare on a reset devnet or a fork has its own block 0.
    const genesis = genesisOf(await this.post(index, 'eth_getBlockByNumber', ['0x0', false]));
    if (genesis && this.expectedGenesis === undefined) this.expectedGenesis = genesis;
    else if (genesis && genesis !== this.expectedGenesis) {
      throw new ConfigError(
        `RPC ${displayUrl(this.urls[index])} serves another chain with chain id ${actual} (genesis block ${genesis}, expected ${this.expectedGenesis})`,
      );
    }
    this.verified.add(index);
  }

  private async post(index: number, method: string, params: unknown[]): Promise<JsonRpcResponse> {
    const id = this.nextId++;
    let res: Response;
    try {
      res = await this.fetchFn(this.urls[index], {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new Error(describeFetchError(err, this.timeoutMs));
    }
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`HTTP ${res.status} ${text.slice(0, 80).trim() || res.statusText}`);
    }
    // A JSON-RPC answer counts whatever the HTTP status (some nodes send errors as 4xx/5xx).
    const one = Array.isArray(body) ? body[0] : body;
    if (!one || typeof one !== 'object' || (!('result' in one) && !('error' in one))) {
      throw new Error(`HTTP ${res.status}: not a JSON-RPC answer`);
    }
    return one as JsonRpcResponse;
  }

  private markUp(index: number): void {
    const switched = index !== this.current;
    this.current = index;
    if (switched) this.emit('failover', { url: this.url } satisfies RpcHealthEvent);
    if (this.down || this.lastErr) {
      this.down = false;
      this.lastErr = undefined;
      this.emit('up', { url: this.url } satisfies RpcHealthEvent);
    }
  }

  private markDown(message: string): void {
    this.down = true;
    this.lastErr = message;
    this.emit('down', { url: this.url, error: message } satisfies RpcHealthEvent);
  }
}
