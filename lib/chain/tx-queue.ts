/**
 * The wallet's transaction queue: simulate, check funds, assign a nonce, sign, broadcast,
 * wait for the receipt and its confirmations.
 *
 * Nonces are counted locally, seeded from the `pending` transaction count (SPEC §3.10), and
 * only the nonce→sign→broadcast step is serialised, so 50 parallel createTask calls get 50
 * consecutive nonces while their simulations and receipt waits overlap. A broadcast the
 * node rejected leaves no gap: the counter is dropped and re-seeded before the next send.
 */
import { formatEther, keccak256, type Wallet } from 'ethers';
import { ChainConnectionError, ChainRevertError, ChainRpcError, CrynuxError, InsufficientFundsError } from '../errors';
import { decodeRevertData, DEFAULT_GAS_LIMIT, withRevertHint, type ReceiptLike } from '../protocol';
import type { Logger } from '../client-types';
import { sleep, throwIfAborted } from '../relay/backoff';
import { RpcAnswerError, type RpcTransport } from './rpc';
import { toLog, type RawLog } from './logs';

export interface TxQueueOptions {
  rpc: RpcTransport;
  wallet: Wallet;
  chainId: number;
  gasPrice?: 'auto' | bigint;
  gasLimit?: 'estimate' | bigint;
  /** Blocks counted with the one holding the receipt (1 = mined). */
  confirmations?: number;
  pollIntervalMs?: number;
  /** Margin added to eth_estimateGas, percent. Default 30 (the estimate is tight, SPEC §3.10). */
  estimateMarginPercent?: number;
  logger?: Logger;
}

export interface TxRequest {
  to: string;
  data: string;
  value?: bigint;
  /** For messages: what this transaction does, e.g. "createTask". */
  label: string;
}

/** A signed transaction as handed to the node: enough to follow or re-broadcast it later. */
export interface SignedTx {
  nonce: number;
  /** The signed raw transaction (public once broadcast; holds no key). */
  raw: string;
}

export interface SendOptions {
  signal?: AbortSignal;
  /** Runs after signing, before broadcasting: the hash is final, so it can be persisted first. */
  beforeBroadcast?: (txHash: string, signed: SignedTx) => void | Promise<void>;
  /** Runs once the node accepted the transaction. */
  onSent?: (txHash: string) => void | Promise<void>;
}

export interface MinedReceipt extends ReceiptLike {
  status: number;
  transactionHash: string;
  blockNumber: number;
  gasUsed: bigint;
}

interface RawReceipt {
  status: string;
  blockNumber: string;
  transactionHash: string;
  gasUsed: string;
  logs: RawLog[];
}

const hex = (n: bigint | number) => `0x${BigInt(n).toString(16)}`;

export function parseReceipt(raw: RawReceipt): MinedReceipt {
  return {
    status: Number(raw.status),
    blockNumber: Number(raw.blockNumber),
    transactionHash: raw.transactionHash,
    hash: raw.transactionHash,
    gasUsed: BigInt(raw.gasUsed),
    logs: raw.logs.map(toLog),
  };
}

/** The revert payload inside a node's eth_call error, wherever the node put it. */
function revertDataOf(err: RpcAnswerError): string | undefined {
  const d = err.data as unknown;
  if (typeof d === 'string' && /^0x[0-9a-f]*$/i.test(d)) return d;
  if (d && typeof d === 'object' && typeof (d as { data?: unknown }).data === 'string') return (d as { data: string }).data;
  return undefined;
}

// Node answers about the gas limit: geth's "intrinsic gas too low", Ethermint's "intrinsic gas
// too high", "exceeds block gas limit", "gas limit reached".
const GAS_LIMIT_PROBLEM = /intrinsic gas|gas limit|block gas|gas too (low|high)/i;

/**
 * A node's refusal (an answer, not an outage) as CHAIN_RPC. Gas-limit refusals say which
 * limit was sent and what createTask needs (about 1,000,000 gas, SPEC §3.10).
 */
export function rpcRefusal(err: RpcAnswerError, what: string, gasLimit?: bigint): ChainRpcError {
  const msg = err.rpcMessage;
  const gas = GAS_LIMIT_PROBLEM.test(msg)
    ? ` (the gas limit ${gasLimit === undefined ? 'estimated by the node' : `was ${gasLimit.toLocaleString('en-US')}`}; ` +
      'createTask needs about 1,000,000 gas: set the gas limit near that, or to "estimate")'
    : '';
  return new ChainRpcError(`The RPC node refused ${what}: ${msg}${gas}`, { rpcCode: err.rpcCode, rpcMessage: msg, cause: err });
}

/** Turns an eth_call / eth_estimateGas error into our named errors (SPEC §3.5). */
export function callError(err: unknown, label: string, txHash?: string, gasLimit?: bigint): Error {
  if (!(err instanceof RpcAnswerError)) return err as Error;
  const data = revertDataOf(err);
  const msg = err.rpcMessage;
  if (data !== undefined || /revert/i.test(msg) || err.rpcCode === 3) {
    const { reason } = decodeRevertData(data);
    return new ChainRevertError(reason, `${label} was rejected by the Task contract: ${withRevertHint(reason)}`, txHash);
  }
  if (/out of gas|gas required exceeds/i.test(msg)) {
    const limit = gasLimit === undefined ? '' : ` with a gas limit of ${gasLimit.toLocaleString('en-US')}`;
    return new ChainRevertError('out of gas', `${label} ran out of gas${limit} (raise the gas limit; createTask needs about 1,000,000)`, txHash);
  }
  if (/insufficient funds/i.test(msg)) return new InsufficientFundsError(`${label}: the wallet cannot pay for it (${msg})`);
  return rpcRefusal(err, label, gasLimit);
}

export class TransactionQueue {
  private readonly o: Required<Omit<TxQueueOptions, 'logger'>> & { logger?: Logger };
  private nextNonce: number | undefined;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(opts: TxQueueOptions) {
    this.o = {
      ...opts,
      gasPrice: opts.gasPrice ?? 'auto',
      gasLimit: opts.gasLimit ?? DEFAULT_GAS_LIMIT,
      confirmations: opts.confirmations ?? 1,
      pollIntervalMs: opts.pollIntervalMs ?? 2000,
      estimateMarginPercent: opts.estimateMarginPercent ?? 30,
    };
  }

  get address(): string {
    return this.o.wallet.address;
  }

  async balance(): Promise<bigint> {
    return BigInt(await this.o.rpc.request<string>('eth_getBalance', [this.address, 'latest']));
  }

  async gasPrice(): Promise<bigint> {
    if (this.o.gasPrice !== 'auto') return this.o.gasPrice;
    return BigInt(await this.o.rpc.request<string>('eth_gasPrice', []));
  }

  private callObject(req: TxRequest, gas?: bigint) {
    return {
      from: this.address,
      to: req.to,
      data: req.data,
      value: hex(req.value ?? 0n),
      ...(gas !== undefined ? { gas: hex(gas) } : {}),
    };
  }

  /** eth_call the transaction; a revert becomes ChainRevertError with the decoded reason. */
  async simulate(req: TxRequest, blockTag: string = 'latest', gas?: bigint): Promise<void> {
    try {
      await this.o.rpc.request('eth_call', [this.callObject(req, gas), blockTag]);
    } catch (err) {
      throw callError(err, req.label, undefined, gas);
    }
  }

  private async gasLimitFor(req: TxRequest): Promise<bigint> {
    if (this.o.gasLimit !== 'estimate') return this.o.gasLimit;
    try {
      const est = BigInt(await this.o.rpc.request<string>('eth_estimateGas', [this.callObject(req)]));
      return (est * BigInt(100 + this.o.estimateMarginPercent)) / 100n;
    } catch (err) {
      throw callError(err, req.label);
    }
  }

  /** value + gasLimit×gasPrice must fit in the balance. */
  private async checkFunds(req: TxRequest, gasLimit: bigint, gasPrice: bigint): Promise<void> {
    const value = req.value ?? 0n;
    const gas = gasLimit * gasPrice;
    const balance = await this.balance();
    if (value + gas > balance) {
      throw new InsufficientFundsError(
        `Not enough CNX for ${req.label}: it needs ${formatEther(value + gas)} CNX ` +
          `(${formatEther(value)} fee + up to ${formatEther(gas)} gas), the wallet ${this.address} ` +
          `holds ${formatEther(balance)} CNX`,
      );
    }
  }

  /** Simulates, checks funds, broadcasts and waits for the confirmed receipt (status 1). */
  async send(req: TxRequest, opts: SendOptions = {}): Promise<MinedReceipt> {
    throwIfAborted(opts.signal);
    const [gasPrice, gasLimit] = await Promise.all([this.gasPrice(), this.gasLimitFor(req)]);
    await this.checkFunds(req, gasLimit, gasPrice);
    await this.simulate(req, 'latest', gasLimit);
    const txHash = await this.serialised(() => this.broadcast(req, gasPrice, gasLimit, opts));
    await opts.onSent?.(txHash);
    return this.waitMined(txHash, req, opts.signal);
  }

  /** Follows a transaction broadcast earlier (e.g. before a restart) instead of sending again. */
  async follow(txHash: string, label: string, signal?: AbortSignal): Promise<MinedReceipt> {
    if (!/^0x[0-9a-fA-F]{64}$/.test(txHash)) {
      throw new CrynuxError('TX_NOT_FOUND', `existingTxHash must be a 0x-prefixed 32-byte hash, got ${JSON.stringify(txHash)}`);
    }
    const tx = await this.o.rpc.request<{ to: string; input: string; value: string } | null>('eth_getTransactionByHash', [txHash]);
    if (!tx) {
      throw new CrynuxError(
        'TX_NOT_FOUND',
        `The ${label} transaction ${txHash} is unknown to the RPC: it was probably never broadcast or was dropped. ` +
          'It is not sent again automatically; create the task anew if you want it.',
      );
    }
    return this.waitMined(txHash, { to: tx.to, data: tx.input, value: BigInt(tx.value), label }, signal);
  }

  /**
   * Picks up a transaction whose broadcast got no answer (recorded with its nonce and raw
   * bytes before broadcasting). Known to the node → followed. Unknown while its nonce is
   * still free → the very same signed bytes are broadcast again (same nonce, same hash: it
   * can never be paid twice) and followed. Unknown and its nonce used by another
   * transaction → it can never be mined: resolves null, and only then may the caller send anew.
   */
  async resume(txHash: string, signed: Partial<SignedTx>, label: string, signal?: AbortSignal): Promise<MinedReceipt | null> {
    const known = () => this.o.rpc.request<{ to: string; input: string; value: string } | null>('eth_getTransactionByHash', [txHash]);
    let tx = await known();
    if (!tx && signed.nonce !== undefined && (await this.confirmedCount()) > signed.nonce) {
      tx = await known(); // mined between the two calls?
      if (!tx) return null;
    }
    if (!tx && typeof signed.raw === 'string') {
      const raw = signed.raw;
      const outcome = await this.serialised(() => this.rebroadcast(raw, txHash, label));
      if (outcome === 'nonce-used') return (await known()) ? this.follow(txHash, label, signal) : null;
      tx = await known();
    }
    if (!tx) return this.follow(txHash, label, signal); // nothing to re-send: TX_NOT_FOUND
    return this.waitMined(txHash, { to: tx.to, data: tx.input, value: BigInt(tx.value), label }, signal);
  }

  /** Transactions of this wallet mined so far (the next nonce at `latest`). */
  private async confirmedCount(): Promise<number> {
    return Number(await this.o.rpc.request<string>('eth_getTransactionCount', [this.address, 'latest']));
  }

  private async rebroadcast(raw: string, txHash: string, label: string): Promise<'sent' | 'nonce-used'> {
    try {
      await this.o.rpc.request('eth_sendRawTransaction', [raw]);
      this.nextNonce = undefined; // re-seed from `pending`, which now counts it
      return 'sent';
    } catch (err) {
      if (!(err instanceof RpcAnswerError)) {
        throw new ChainConnectionError(`${(err as Error).message} (transaction ${txHash} may still reach the network)`, { cause: err });
      }
      if (/already known|already imported|known transaction/i.test(err.rpcMessage)) {
        this.nextNonce = undefined;
        return 'sent';
      }
      if (/nonce too low/i.test(err.rpcMessage)) return 'nonce-used';
      throw rpcRefusal(err, `the ${label} transaction ${txHash} (sent again after an unanswered broadcast)`);
    }
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async broadcast(req: TxRequest, gasPrice: bigint, gasLimit: bigint, opts: SendOptions): Promise<string> {
    throwIfAborted(opts.signal);
    for (let attempt = 1; ; attempt++) {
      if (this.nextNonce === undefined) {
        this.nextNonce = Number(await this.o.rpc.request<string>('eth_getTransactionCount', [this.address, 'pending']));
      }
      const nonce = this.nextNonce;
      const raw = await this.o.wallet.signTransaction({
        type: 0, chainId: this.o.chainId, nonce, to: req.to, data: req.data,
        value: req.value ?? 0n, gasPrice, gasLimit,
      });
      const txHash = keccak256(raw);
      // Aborted (e.g. the client closed) while waiting for the nonce or recording the hash:
      // nothing goes out. A successor may already be sending; a recorded hash is resumed by it.
      throwIfAborted(opts.signal);
      await opts.beforeBroadcast?.(txHash, { nonce, raw });
      throwIfAborted(opts.signal);
      try {
        await this.o.rpc.request('eth_sendRawTransaction', [raw]);
        this.nextNonce = nonce + 1;
        return txHash;
      } catch (err) {
        if (await this.isKnown(txHash)) {
          this.nextNonce = nonce + 1;
          return txHash;
        }
        // Not broadcast: release the nonce by re-seeding from `pending` next time.
        this.nextNonce = undefined;
        const msg = err instanceof RpcAnswerError ? err.rpcMessage : '';
        if (attempt === 1 && /nonce too (low|high)|already known|replacement transaction/i.test(msg)) {
          this.o.logger?.warn(`${req.label}: nonce ${nonce} refused (${msg}); re-syncing the nonce and retrying once`);
          continue;
        }
        if (/insufficient funds/i.test(msg)) {
          throw new InsufficientFundsError(`${req.label}: the node refused the transaction for lack of funds (${msg})`);
        }
        if (err instanceof RpcAnswerError) throw rpcRefusal(err, `the ${req.label} transaction`, gasLimit);
        throw new ChainConnectionError(
          `${(err as Error).message} (transaction ${txHash} may still reach the network)`,
          { cause: err },
        );
      }
    }
  }

  private async isKnown(txHash: string): Promise<boolean> {
    try {
      return (await this.o.rpc.request('eth_getTransactionByHash', [txHash])) != null;
    } catch {
      return false;
    }
  }

  async blockNumber(): Promise<number> {
    return Number(await this.o.rpc.request<string>('eth_blockNumber', []));
  }

  /** Polls for the receipt, then for `confirmations`; a mined failure is replayed for its reason. */
  async waitMined(txHash: string, req: TxRequest, signal?: AbortSignal): Promise<MinedReceipt> {
    let receipt: MinedReceipt | undefined;
    for (;;) {
      throwIfAborted(signal);
      const raw = await this.o.rpc.request<RawReceipt | null>('eth_getTransactionReceipt', [txHash]);
      if (raw && raw.blockNumber) {
        receipt = parseReceipt(raw);
        const head = await this.blockNumber();
        if (head >= receipt.blockNumber + Math.max(1, this.o.confirmations) - 1) break;
      }
      await sleep(this.o.pollIntervalMs, signal);
    }
    if (receipt.status !== 1) throw await this.minedFailure(receipt, req);
    return receipt;
  }

  /** SPEC §3.5: replay a mined failure at blockNumber − 1 to read its reason. */
  private async minedFailure(receipt: MinedReceipt, req: TxRequest): Promise<Error> {
    const tx = await this.o.rpc.request<{ gas: string } | null>('eth_getTransactionByHash', [receipt.transactionHash]);
    const gas = tx ? BigInt(tx.gas) : undefined;
    try {
      await this.simulate(req, hex(Math.max(0, receipt.blockNumber - 1)), gas);
    } catch (err) {
      if (err instanceof ChainRevertError) return new ChainRevertError(err.reason, err.message, receipt.transactionHash);
      return err as Error;
    }
    const reason = gas !== undefined && receipt.gasUsed >= gas ? 'out of gas' : 'reverted (the reason could not be reproduced)';
    return new ChainRevertError(reason, `${req.label} failed on chain: ${reason}`, receipt.transactionHash);
  }
}
