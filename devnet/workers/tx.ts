/**
 * One transaction at a time per wallet, with a local nonce counter seeded from `pending`
 * (SPEC §3.10). Each call is simulated first so a revert is reported with its reason and
 * costs no nonce; transactions are legacy (type 0) with the 5 M gas limit of the 2024 nodes.
 */
import { Wallet, getBytes } from 'ethers';
import { DEFAULT_GAS_LIMIT, decodeRevertData } from '../../lib/protocol';
import { RpcError, rpc, type RpcLog } from '../relay/rpc';

export class TxRevertedError extends Error {
  constructor(
    readonly label: string,
    readonly reason: string,
  ) {
    super(`${label} reverted: ${reason}`);
  }
}

export interface TxReceipt {
  transactionHash: string;
  status: string;
  blockNumber: string;
  logs: RpcLog[];
}

export class TxSender {
  readonly address: string;
  private readonly wallet: Wallet;
  private chain: Promise<unknown> = Promise.resolve();
  private nonce?: number;
  private chainId?: bigint;

  constructor(
    private readonly rpcUrl: string,
    privateKey: string,
  ) {
    this.wallet = new Wallet(privateKey);
    this.address = this.wallet.address;
  }

  /** Queues a call; resolves with the mined receipt, rejects with TxRevertedError. */
  send(to: string, data: string, label: string, value = 0n): Promise<TxReceipt> {
    const run = this.chain.then(() => this.sendNow(to, data, label, value));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** eth_call; rejects with TxRevertedError carrying the decoded reason. */
  async simulate(to: string, data: string, label: string, value = 0n): Promise<string> {
    try {
      return await rpc<string>(this.rpcUrl, 'eth_call', [
        { from: this.address, to, data, value: `0x${value.toString(16)}`, gas: `0x${DEFAULT_GAS_LIMIT.toString(16)}` },
        'latest',
      ]);
    } catch (err) {
      if (err instanceof RpcError && /revert/i.test(err.message)) {
        throw new TxRevertedError(label, err.data ? decodeRevertData(err.data).reason : err.message);
      }
      throw err;
    }
  }

  private async sendNow(to: string, data: string, label: string, value: bigint): Promise<TxReceipt> {
    await this.simulate(to, data, label, value);
    this.chainId ??= BigInt(await rpc<string>(this.rpcUrl, 'eth_chainId'));
    this.nonce ??= Number(BigInt(await rpc<string>(this.rpcUrl, 'eth_getTransactionCount', [this.address, 'pending'])));
    const gasPrice = BigInt(await rpc<string>(this.rpcUrl, 'eth_gasPrice'));
    const raw = await this.wallet.signTransaction({
      type: 0, chainId: this.chainId, nonce: this.nonce, gasPrice, gasLimit: DEFAULT_GAS_LIMIT, to, data, value,
    });
    let hash: string;
    try {
      hash = await rpc<string>(this.rpcUrl, 'eth_sendRawTransaction', [raw]);
    } catch (err) {
      this.nonce = undefined; // re-read from the chain next time
      throw err;
    }
    this.nonce++;
    const receipt = await this.waitForReceipt(hash);
    if (receipt.status !== '0x1') throw new TxRevertedError(label, 'mined with status 0');
    return receipt;
  }

  private async waitForReceipt(hash: string): Promise<TxReceipt> {
    const deadline = Date.now() + 120_000;
    for (let delay = 10; Date.now() < deadline; delay = Math.min(delay * 2, 250)) {
      const r = await rpc<TxReceipt | null>(this.rpcUrl, 'eth_getTransactionReceipt', [hash]);
      if (r) return r;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    throw new Error(`transaction ${hash} not mined within 120 s`);
  }
}

/** keccak-ready concatenation of a result and a nonce (abi.encodePacked(bytes, bytes32)). */
export function packResultAndNonce(result: Uint8Array, nonce: string): Uint8Array {
  return new Uint8Array([...result, ...getBytes(nonce)]);
}
