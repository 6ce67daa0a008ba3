/**
 * The client's chain side against the devnet: nonces under load, RPC failover, revert
 * reasons (SPEC §3.5), funds and chain-id checks.
 */
import assert from 'node:assert/strict';
import { Wallet } from 'ethers';
import { startDevnet, type Devnet } from '../../devnet';
import { ChainRevertError, ConfigError, InsufficientFundsError, TaskArgsError } from '../../lib/errors';
import { taskInterface, ZERO_DATA_HASH } from '../../lib/protocol';
import { RpcTransport } from '../../lib/chain/rpc';
import { TransactionQueue } from '../../lib/chain/tx-queue';
import type { CrynuxClient } from '../../lib/client';
import { deadUrl, devnetClient, fakeTaskHash } from './client-helpers';

describe('CrynuxClient on the devnet chain', function () {
  this.timeout(60_000);
  let devnet: Devnet;
  const clients: CrynuxClient[] = [];
  const open = (c: CrynuxClient) => (clients.push(c), c);

  before(async () => {
    // No workers: every task stays queued, so nothing else touches the wallets.
    devnet = await startDevnet({ workers: 0, queueSizeLimit: 200 });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await devnet?.stop();
  });

  it('50 parallel createTask calls from one wallet get 50 task ids and consecutive nonces', async () => {
    const client = open(devnetClient(devnet, { privateKey: devnet.spareKeys[0] }));
    const provider = await client.provider();
    const firstNonce = await provider.getTransactionCount(client.address, 'pending');
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        client.createTask({ taskType: 0, taskHash: fakeTaskHash(i + 1), vramLimit: 8, cap: 1, taskFee: 1000n }),
      ),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    assert.deepEqual(failed, [], 'no createTask failed');
    const created = results.map((r) => (r as PromiseFulfilledResult<{ taskId: string; txHash: string }>).value);
    assert.equal(new Set(created.map((c) => c.taskId)).size, 50);
    const nonces = await Promise.all(created.map(async (c) => (await provider.getTransaction(c.txHash))!.nonce));
    assert.deepEqual([...nonces].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => firstNonce + i));
  });

  it('sends legacy transactions with a fixed gas price and an estimated gas limit plus margin', async () => {
    const client = open(devnetClient(devnet, { privateKey: devnet.spareKeys[1], gasPrice: 3n, gasLimit: 'estimate' }));
    const created = await client.createTask({ taskType: 0, taskHash: fakeTaskHash(500), vramLimit: 8, cap: 1, taskFee: 1n });
    const tx = (await (await client.provider()).getTransaction(created.txHash))!;
    assert.equal(tx.type, 0);
    assert.equal(tx.gasPrice, 3n);
    const receipt = (await (await client.provider()).getTransactionReceipt(created.txHash))!;
    assert.ok(tx.gasLimit < 5_000_000n && tx.gasLimit > receipt.gasUsed, `gas limit ${tx.gasLimit}, used ${receipt.gasUsed}`);
  });

  it('fails over from a dead first RPC URL to the next one and reports it in health()', async () => {
    const dead = await deadUrl();
    const client = open(devnetClient(devnet, { rpcUrls: [dead, devnet.rpcUrl], privateKey: devnet.spareKeys[1] }));
    const seen: string[] = [];
    client.on('health', (h: { rpcUrl: string }) => seen.push(h.rpcUrl));
    await client.start();
    const created = await client.createTask({ taskType: 1, taskHash: fakeTaskHash(999), vramLimit: 8, cap: 1, taskFee: 1n });
    assert.match(created.taskId, /^\d+$/);
    assert.equal(client.health().rpcUrl, devnet.rpcUrl);
    assert.ok(seen.includes(devnet.rpcUrl));
  });

  it('turns a simulated revert into ChainRevertError("Invalid task type") and sends nothing', async () => {
    const client = open(devnetClient(devnet, { privateKey: devnet.spareKeys[2] }));
    const provider = await client.provider();
    const nonce = await provider.getTransactionCount(client.address, 'pending');
    await assert.rejects(
      client.createTask({ taskType: 5 as 0, taskHash: fakeTaskHash(1), vramLimit: 8, cap: 1, taskFee: 0n }),
      (err: unknown) => err instanceof ChainRevertError && err.reason === 'Invalid task type' && /Invalid task type/.test(err.message),
    );
    assert.equal(await provider.getTransactionCount(client.address, 'pending'), nonce);
  });

  it('reads the reason of a mined failure by replaying it at blockNumber − 1 (SPEC §3.5)', async () => {
    const rpc = new RpcTransport({ urls: [devnet.rpcUrl] });
    const wallet = new Wallet(devnet.spareKeys[2]);
    const queue = new TransactionQueue({ rpc, wallet, chainId: devnet.chainId, pollIntervalMs: 50 });
    const data = taskInterface.encodeFunctionData('createTask', [5, fakeTaskHash(2), ZERO_DATA_HASH, 8, 1]);
    // Sent without simulation, so it is mined with status 0.
    const nonce = Number(await rpc.request<string>('eth_getTransactionCount', [wallet.address, 'pending']));
    const raw = await wallet.signTransaction({ type: 0, chainId: devnet.chainId, nonce, to: devnet.taskAddress, data, gasPrice: 0n, gasLimit: 5_000_000n });
    const txHash = await rpc.request<string>('eth_sendRawTransaction', [raw]);
    await assert.rejects(
      queue.waitMined(txHash, { to: devnet.taskAddress, data, label: 'createTask' }),
      (err: unknown) => err instanceof ChainRevertError && err.reason === 'Invalid task type' && err.txHash === txHash,
    );
  });

  it('refuses a fee above the balance with both amounts in CNX, before sending', async () => {
    const client = open(devnetClient(devnet, { privateKey: devnet.spareKeys[2] }));
    const balance = await client.getBalance();
    await assert.rejects(
      client.createTask({ taskType: 0, taskHash: fakeTaskHash(3), vramLimit: 8, cap: 1, taskFee: balance + 1n }),
      (err: unknown) =>
        err instanceof InsufficientFundsError && /needs [\d.]+ CNX/.test(err.message) && /holds [\d.]+ CNX/.test(err.message),
    );
  });

  it('rejects cap 0 locally (SPEC §3.5: Panic(0x12) on the queued path)', async () => {
    const client = open(devnetClient(devnet));
    await assert.rejects(
      client.createTask({ taskType: 0, taskHash: fakeTaskHash(4), vramLimit: 8, cap: 0, taskFee: 1n }),
      (err: unknown) => err instanceof TaskArgsError && err.issues[0]?.path === 'cap',
    );
  });

  it('refuses an RPC on another chain with a ConfigError naming both ids', async () => {
    const client = open(devnetClient(devnet, { chainId: 1 }));
    await assert.rejects(client.start(), (err: unknown) =>
      err instanceof ConfigError && err.message.includes(`is chain ${devnet.chainId}, expected 1`));
  });

  it('follows a createTask sent before a restart (existingTxHash) instead of sending again', async () => {
    const key = devnet.spareKeys[1];
    const rpc = new RpcTransport({ urls: [devnet.rpcUrl] });
    const wallet = new Wallet(key);
    const data = taskInterface.encodeFunctionData('createTask', [1, fakeTaskHash(6), ZERO_DATA_HASH, 8, 1]);
    const nonce = Number(await rpc.request<string>('eth_getTransactionCount', [wallet.address, 'pending']));
    const raw = await wallet.signTransaction({ type: 0, chainId: devnet.chainId, nonce, to: devnet.taskAddress, data, value: 777n, gasPrice: 0n, gasLimit: 5_000_000n });
    const txHash = await rpc.request<string>('eth_sendRawTransaction', [raw]);

    const client = open(devnetClient(devnet, { privateKey: key }));
    const created = await client.createTask({ taskType: 1, taskHash: fakeTaskHash(6), vramLimit: 8, cap: 1, taskFee: 777n }, { existingTxHash: txHash });
    assert.deepEqual([created.txHash, created.taskFee, created.creator], [txHash, '777', wallet.address]);
    assert.equal(Number(await rpc.request<string>('eth_getTransactionCount', [wallet.address, 'pending'])), nonce + 1, 'nothing new was sent');
    await assert.rejects(
      client.createTask({ taskType: 1, taskHash: fakeTaskHash(7), vramLimit: 8, cap: 1, taskFee: 1n }, { existingTxHash: `0x${'ab'.repeat(32)}` }),
      { code: 'TX_NOT_FOUND' },
    );
  });

  it('cancels a queued task at once and reports the refund-bearing TaskAborted("Task Cancelled")', async () => {
    const client = open(devnetClient(devnet, { privateKey: devnet.spareKeys[1] }));
    const created = await client.createTask({ taskType: 0, taskHash: fakeTaskHash(5), vramLimit: 8, cap: 1, taskFee: 5000n });
    assert.equal((await client.getTaskInfo(created.taskId)).state, 'queued');
    const waiting = client.waitForOutcome(created.taskId, { fromBlock: created.blockNumber });
    const cancelled = await client.cancelTask(created.taskId);
    const outcome = await waiting;
    assert.equal(outcome.status, 'aborted');
    assert.equal(outcome.status === 'aborted' && outcome.abortReason, 'Task Cancelled');
    assert.equal(outcome.txHash, cancelled.txHash);
  });
});
