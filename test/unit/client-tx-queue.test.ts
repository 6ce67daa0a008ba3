/**
 * TransactionQueue nonce handling (SPEC §3.10) against a scripted node, for the faults a
 * real anvil will not produce on demand: a broadcast rejected for an unrelated reason, a
 * nonce taken by another program meanwhile. The happy path under load runs on the devnet.
 */
import assert from 'node:assert/strict';
import { Transaction, Wallet, keccak256, AbiCoder } from 'ethers';
import { TransactionQueue, callError } from '../../lib/chain/tx-queue';
import { RpcAnswerError, type RpcTransport } from '../../lib/chain/rpc';
import { ChainConnectionError, ChainRevertError, ChainRpcError, InsufficientFundsError } from '../../lib/errors';

const KEY = '0x' + '33'.repeat(32);
const TO = '0x00000000000000000000000000000000000000aa';

class ScriptedNode {
  accepted: number[] = [];
  pendingBase = 7;
  balance = 10n ** 21n;
  /** Returns an error to reject a broadcast with, or undefined to accept it. */
  onBroadcast: (nonce: number) => RpcAnswerError | undefined = () => undefined;
  callRevert: string | undefined;
  countCalls = 0;
  readonly known = new Set<string>();

  async request<T>(method: string, params: unknown[] = []): Promise<T> {
    const r = (v: unknown) => v as T;
    switch (method) {
      case 'eth_getTransactionCount':
        this.countCalls++;
        return r(`0x${(this.pendingBase + this.accepted.length).toString(16)}`);
      case 'eth_gasPrice':
        return r('0xa');
      case 'eth_getBalance':
        return r(`0x${this.balance.toString(16)}`);
      case 'eth_call':
        if (this.callRevert) throw new RpcAnswerError(method, { code: 3, message: 'execution reverted', data: this.callRevert });
        return r('0x');
      case 'eth_sendRawTransaction': {
        const tx = Transaction.from(params[0] as string);
        const err = this.onBroadcast(tx.nonce);
        if (err) throw err;
        assert.equal(tx.nonce, this.pendingBase + this.accepted.length, 'nonces are used in order, without gaps');
        this.accepted.push(tx.nonce);
        this.known.add(keccak256(params[0] as string));
        return r(tx.hash);
      }
      case 'eth_getTransactionByHash':
        return r(this.known.has(params[0] as string) ? { gas: '0x4c4b40', to: TO, input: '0x', value: '0x0' } : null);
      case 'eth_getTransactionReceipt':
        return r({ status: '0x1', blockNumber: '0x5', transactionHash: params[0], gasUsed: '0x1', logs: [] });
      case 'eth_blockNumber':
        return r('0x5');
      default:
        throw new Error(`unexpected ${method}`);
    }
  }
}

function queueFor(node: ScriptedNode) {
  return new TransactionQueue({ rpc: node as unknown as RpcTransport, wallet: new Wallet(KEY), chainId: 10000, pollIntervalMs: 1 });
}
const req = (label = 'createTask') => ({ to: TO, data: '0x12345678', value: 1000n, label });

describe('TransactionQueue', () => {
  it('gives parallel sends consecutive nonces from one pending-count seed', async () => {
    const node = new ScriptedNode();
    const q = queueFor(node);
    await Promise.all(Array.from({ length: 20 }, () => q.send(req())));
    assert.deepEqual(node.accepted, Array.from({ length: 20 }, (_, i) => 7 + i));
    assert.equal(node.countCalls, 1);
  });

  it('releases the nonce of a rejected broadcast, so later sends leave no gap', async () => {
    const node = new ScriptedNode();
    let rejectOnce = true;
    node.onBroadcast = (nonce) => {
      if (nonce === 9 && rejectOnce) {
        rejectOnce = false;
        return new RpcAnswerError('eth_sendRawTransaction', { code: -32000, message: 'txpool is full' });
      }
      return undefined;
    };
    const q = queueFor(node);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => q.send(req())));
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0].reason instanceof ChainRpcError, String(rejected[0].reason));
    assert.equal(rejected[0].reason.code, 'CHAIN_RPC');
    assert.equal(rejected[0].reason.message, 'The RPC node refused the createTask transaction: txpool is full');
    assert.deepEqual(node.accepted, [7, 8, 9, 10]);
  });

  it('re-syncs and retries once when another program took the nonce', async () => {
    const node = new ScriptedNode();
    const q = queueFor(node);
    await q.send(req());
    node.pendingBase += 1; // someone else sent a transaction from this wallet
    let first = true;
    node.onBroadcast = (nonce) => {
      if (first && nonce === 8) {
        first = false;
        return new RpcAnswerError('eth_sendRawTransaction', { code: -32000, message: 'nonce too low' });
      }
      return undefined;
    };
    await q.send(req());
    assert.deepEqual(node.accepted, [7, 9]);
  });

  it('hands the final hash to beforeBroadcast before the node sees the transaction', async () => {
    const node = new ScriptedNode();
    const order: string[] = [];
    node.onBroadcast = () => void order.push('broadcast');
    const receipt = await queueFor(node).send(req(), { beforeBroadcast: (h) => void order.push(`persist ${h}`) });
    assert.deepEqual(order, [`persist ${receipt.transactionHash}`, 'broadcast']);
  });

  it('refuses to send without fee + gasLimit × gasPrice in the balance, in CNX', async () => {
    const node = new ScriptedNode();
    node.balance = 50_000_000n; // gas alone needs 5,000,000 × 10 wei
    await assert.rejects(queueFor(node).send(req()), (err: unknown) =>
      err instanceof InsufficientFundsError && err.message.includes('0.000000000050001 CNX') && err.message.includes('holds 0.00000000005 CNX'));
    assert.deepEqual(node.accepted, []);
  });

  it('decodes a simulated revert and never broadcasts', async () => {
    const node = new ScriptedNode();
    node.callRevert = '0x4e487b71' + AbiCoder.defaultAbiCoder().encode(['uint256'], [0x12]).slice(2);
    await assert.rejects(queueFor(node).send(req()), (err: unknown) =>
      err instanceof ChainRevertError && err.reason.startsWith('Panic(0x12)'));
    assert.deepEqual(node.accepted, []);
  });

  it('maps eth_call errors: revert data, out of gas, anything else', () => {
    const data = '0x08c379a0' + AbiCoder.defaultAbiCoder().encode(['string'], ['Task not exist']).slice(2);
    const r = callError(new RpcAnswerError('eth_call', { code: 3, message: 'execution reverted: Task not exist', data }), 'cancelTask');
    assert.ok(r instanceof ChainRevertError && r.reason === 'Task not exist');
    const nested = callError(new RpcAnswerError('eth_call', { code: -32000, message: 'reverted', data: { data } }), 'x');
    assert.ok(nested instanceof ChainRevertError && nested.reason === 'Task not exist');
    assert.ok(callError(new RpcAnswerError('eth_call', { message: 'out of gas' }), 'x') instanceof ChainRevertError);
    const answered = callError(new RpcAnswerError('eth_call', { message: 'header not found' }), 'x');
    assert.ok(answered instanceof ChainRpcError && !(answered instanceof ChainConnectionError), 'an answer is not an outage');
    assert.equal(answered.message, 'The RPC node refused x: header not found');
  });

  it('a gas-limit refusal is CHAIN_RPC and names the gas limit sent, not "RPC unreachable"', async () => {
    const node = new ScriptedNode();
    node.onBroadcast = () => new RpcAnswerError('eth_sendRawTransaction', { code: -32000, message: 'intrinsic gas too high' });
    const q = new TransactionQueue({ rpc: node as unknown as RpcTransport, wallet: new Wallet(KEY), chainId: 10000, gasLimit: 50_000_000n });
    await assert.rejects(q.send(req()), (err: unknown) =>
      err instanceof ChainRpcError && err.code === 'CHAIN_RPC' && err.rpcMessage === 'intrinsic gas too high' &&
      err.message === 'The RPC node refused the createTask transaction: intrinsic gas too high (the gas limit was 50,000,000; ' +
        'createTask needs about 1,000,000 gas: set the gas limit near that, or to "estimate")');
    const simulated = callError(new RpcAnswerError('eth_call', { message: 'intrinsic gas too low: have 30000, want 53000' }), 'createTask', undefined, 30_000n);
    assert.match(simulated.message, /the gas limit was 30,000; createTask needs about 1,000,000 gas/);
  });

  it('hands beforeBroadcast the nonce and the signed bytes, which hash to the transaction hash', async () => {
    const node = new ScriptedNode();
    const seen: Array<{ hash: string; nonce: number; raw: string }> = [];
    await queueFor(node).send(req(), { beforeBroadcast: (hash, { nonce, raw }) => void seen.push({ hash, nonce, raw }) });
    assert.equal(seen.length, 1);
    assert.equal(seen[0].nonce, 7);
    assert.equal(keccak256(seen[0].raw), seen[0].hash);
    assert.equal(Transaction.from(seen[0].raw).nonce, 7);
  });

  describe('resume (a broadcast that got no answer)', () => {
    async function signedButLost(node: ScriptedNode) {
      let signed: { hash: string; nonce: number; raw: string } | undefined;
      node.onBroadcast = () => new RpcAnswerError('eth_sendRawTransaction', { code: -32000, message: 'txpool is full' });
      await queueFor(node).send(req(), { beforeBroadcast: (hash, s) => void (signed = { hash, ...s }) }).catch(() => undefined);
      node.onBroadcast = () => undefined;
      return signed!;
    }

    it('follows a transaction the node knows, without sending anything', async () => {
      const node = new ScriptedNode();
      const q = queueFor(node);
      const first = await q.send(req());
      const receipt = await q.resume(first.transactionHash, { nonce: 7 }, 'createTask');
      assert.equal(receipt?.transactionHash, first.transactionHash);
      assert.deepEqual(node.accepted, [7]);
    });

    it('re-sends the same signed bytes while their nonce is free', async () => {
      const node = new ScriptedNode();
      const lost = await signedButLost(node);
      const receipt = await queueFor(node).resume(lost.hash, lost, 'createTask');
      assert.equal(receipt?.transactionHash, lost.hash);
      assert.deepEqual(node.accepted, [7]);
    });

    it('gives up (null) only once the nonce was used by another transaction', async () => {
      const node = new ScriptedNode();
      const lost = await signedButLost(node);
      await queueFor(node).send({ ...req(), data: '0xdeadbeef' }); // another transaction takes nonce 7
      assert.equal(await queueFor(node).resume(lost.hash, lost, 'createTask'), null);
      assert.deepEqual(node.accepted, [7], 'the lost bytes were not sent again');
    });
  });
});
