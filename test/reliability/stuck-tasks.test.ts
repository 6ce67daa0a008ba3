/**
 * Issue 6, item 6: tasks that never finish, on a devnet with a 60 s deadline. A wait that
 * times out before the deadline keeps the task until the contract allows the cancel, then
 * cancels it and the fee comes back; a task whose result node never uploads is cancelled
 * after TaskSuccess, the unpaid remainder comes back and nobody waits for files forever.
 * (Cancelling once the deadline has already passed is in test/devnet/lib-e2e.test.ts.)
 */
import assert from 'node:assert/strict';
import { startDevnet, type Devnet } from '../../devnet';
import { buildSdTaskArgs } from '../../lib/task-args';
import type { CrynuxClient } from '../../lib/client';
import { startRpcProxy, type RpcProxy } from '../helpers/rpc-proxy';
import { devnetClient, guardProcess, observe, txCount } from './helpers';

const FEE = 10n ** 17n;
const DEADLINE_S = 60;

describe('reliability: stuck tasks are cancelled after the deadline and refunded (issue 6 item 6)', function () {
  this.timeout(90_000);
  let devnet: Devnet;
  let proxy: RpcProxy;
  let client: CrynuxClient;
  let guard: ReturnType<typeof guardProcess>;

  before(async () => {
    devnet = await startDevnet({ workers: 3, taskTimeoutSeconds: DEADLINE_S });
    proxy = await startRpcProxy(devnet.rpcUrl);
    client = devnetClient(devnet, { rpcUrls: [proxy.url] });
    await client.start();
  });
  beforeEach(() => {
    guard = guardProcess();
  });
  afterEach(() => {
    assert.deepEqual(guard.stop(), [], 'no unhandled rejection or uncaught exception');
  });
  after(async () => {
    await client?.close();
    await proxy?.close();
    await devnet?.stop();
  });

  async function gasPaid(txHash: string): Promise<bigint> {
    const r = (await (await client.provider()).getTransactionReceipt(txHash))!;
    return r.gasUsed * r.gasPrice;
  }

  it('a wait that times out before the deadline cancels once the contract allows it, and the whole fee returns', async () => {
    const built = buildSdTaskArgs({ prompt: 'never finishes [devnet:stuck]', numImages: 1 });
    const created = await client.createTask({ ...built, taskFee: FEE });
    await client.uploadTaskArgs(created.taskId, built.taskArgs, { timeoutMs: 30_000 });
    const balance = await client.getBalance();
    const sent = await txCount(devnet.rpcUrl, client.address);

    const outcome = observe(client.waitForOutcome(created.taskId, { fromBlock: created.blockNumber, timeoutMs: 200, cancelOnTimeout: true }));
    // After the timeout it checks the deadline on every poll (chain time = latest block), and does not cancel yet.
    await proxy.waitForCalls('eth_getBlockByNumber', 3);
    assert.equal(outcome.settled(), false, 'still waiting: the deadline has not passed');
    assert.equal(await txCount(devnet.rpcUrl, client.address), sent, 'no cancel was sent before the deadline');
    assert.equal((await client.getTaskInfo(created.taskId)).state, 'running');

    await devnet.increaseTime(DEADLINE_S + 1);
    const o = await outcome.promise;
    assert.equal(o.status, 'aborted');
    if (o.status !== 'aborted') return;
    assert.equal(o.abortReason, 'timeout');
    assert.match(o.cancelTxHash ?? '', /^0x[0-9a-f]{64}$/);
    assert.equal(await client.getBalance(), balance + FEE - (await gasPaid(o.cancelTxHash!)), 'the whole fee came back');
    assert.equal((await client.getTaskInfo(created.taskId)).state, 'finished');
  });

  it('a task whose results are never uploaded is cancelled after TaskSuccess: the remainder returns, waits end', async () => {
    const built = buildSdTaskArgs({ prompt: 'no files [devnet:no-upload]', numImages: 1 });
    const created = await client.createTask({ ...built, taskFee: FEE });
    await client.uploadTaskArgs(created.taskId, built.taskArgs, { timeoutMs: 30_000 });
    const success = await client.waitForOutcome(created.taskId, { fromBlock: created.blockNumber, timeoutMs: 30_000 });
    assert.equal(success.status, 'success');
    const uploaded = observe(client.waitForResultUploaded(created.taskId, { fromBlock: created.blockNumber }));
    const download = observe(client.downloadResults(created.taskId, 0, { timeoutMs: 60_000 }));
    const balance = await client.getBalance();

    await assert.rejects(client.cancelTask(created.taskId), /Task has not exceeded the deadline yet/);
    await devnet.increaseTime(DEADLINE_S + 1);
    const cancel = await client.cancelTask(created.taskId);
    await assert.rejects(uploaded.promise, { code: 'TASK_ABORTED' });
    await assert.rejects(download.promise, (err: Error & { code?: string }) => err.code === 'TASK_ABORTED' && /Task Cancelled/.test(err.message));
    const refund = (await client.getBalance()) - balance + (await gasPaid(cancel.txHash));
    assert.ok(refund > 0n && refund < FEE, `part of the fee came back (${refund} of ${FEE} wei): the unpaid remainder`);
  });
});
