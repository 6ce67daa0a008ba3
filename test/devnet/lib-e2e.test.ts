/**
 * The library alone against the devnet (SPEC §2): build → createTask → upload → outcome →
 * download, for SD and GPT, and every abort reason a creator can meet (SPEC §3.8).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import { startDevnet, type Devnet } from '../../devnet';
import { CrynuxClient } from '../../lib/client';
import { buildGptTaskArgs, buildSdTaskArgs, type BuiltTask } from '../../lib/task-args';
import { ABORT_REASONS } from '../../lib/protocol';

const FEE = 10n ** 17n;

describe('lib end to end on the devnet (SPEC §2)', function () {
  this.timeout(60_000);
  let devnet: Devnet;
  let client: CrynuxClient;

  before(async () => {
    // A short deadline so the cancel path (SPEC §3.9) can be reached with increaseTime.
    devnet = await startDevnet({ workers: 3, taskTimeoutSeconds: 120 });
    client = new CrynuxClient({
      rpcUrls: [devnet.rpcUrl], chainId: devnet.chainId, taskAddress: devnet.taskAddress,
      taskQueueAddress: devnet.taskQueueAddress, relayUrl: devnet.relayUrl, privateKey: devnet.appPrivateKey,
      pollIntervalMs: 100,
    });
    await client.start();
  });

  after(async () => {
    await client?.close();
    await devnet?.stop();
  });

  async function run(built: BuiltTask) {
    const created = await client.createTask({ ...built, taskFee: FEE });
    await client.uploadTaskArgs(created.taskId, built.taskArgs, { timeoutMs: 30_000 });
    const outcome = await client.waitForOutcome(created.taskId, { fromBlock: created.blockNumber, timeoutMs: 30_000 });
    return { created, outcome };
  }

  it('runs an SD task: 2 PNG files of the requested size, count taken from the result', async () => {
    const built = buildSdTaskArgs({ prompt: 'a lighthouse at dusk', numImages: 2, width: 64, height: 72, seed: 7 });
    const { created, outcome } = await run(built);
    assert.equal(created.creator, devnet.appAddress);
    assert.equal(created.taskFee, FEE.toString());
    assert.equal(outcome.status, 'success');
    if (outcome.status !== 'success') return;
    assert.equal((outcome.result.length - 2) / 2, 2 * 8, 'SD result = 8 bytes per image');
    await client.waitForResultUploaded(created.taskId, { timeoutMs: 30_000 });
    const { files } = await client.downloadResults(created.taskId, 0, { result: outcome.result });
    assert.equal(files.length, 2);
    for (const f of files) {
      const png = PNG.sync.read(f);
      assert.deepEqual([png.width, png.height], [64, 72]);
    }
  });

  it('runs a GPT task: one JSON file whose sha256 is the on-chain result', async () => {
    const built = buildGptTaskArgs({ model: 'Qwen/Qwen2.5-0.5B-Instruct', prompt: 'Say hello', seed: 1 });
    const { created, outcome } = await run(built);
    assert.equal(outcome.status, 'success');
    if (outcome.status !== 'success') return;
    // Without waiting for TaskResultUploaded: the download retries "Task results not uploaded".
    const { files } = await client.downloadResults(created.taskId, 1, { result: outcome.result, timeoutMs: 30_000 });
    assert.equal(files.length, 1);
    assert.equal(`0x${createHash('sha256').update(files[0]).digest('hex')}`, outcome.result);
    const reply = JSON.parse(files[0].toString('utf8')) as { choices: Array<{ message: { role: string } }> };
    assert.equal(reply.choices[0].message.role, 'assistant');
  });

  it('reports "Task error reported" when two nodes report an error', async () => {
    const { created, outcome } = await run(buildSdTaskArgs({ prompt: 'x [devnet:error]', numImages: 1 }));
    assert.deepEqual([outcome.status, outcome.status === 'aborted' && outcome.abortReason], ['aborted', ABORT_REASONS.ERROR_REPORTED]);
    await assert.rejects(client.waitForResultUploaded(created.taskId, { timeoutMs: 5_000 }), { code: 'TASK_ABORTED' });
  });

  it('reports "Task result illegal" when all three results differ', async () => {
    const { outcome } = await run(buildGptTaskArgs({ model: 'm/m', prompt: 'x [devnet:illegal]' }));
    assert.equal(outcome.status, 'aborted');
    assert.equal(outcome.status === 'aborted' && outcome.abortReason, ABORT_REASONS.RESULT_ILLEGAL);
  });

  it('times out on a stuck task, cancels it once the deadline passed, and gets the fee back', async () => {
    const built = buildSdTaskArgs({ prompt: 'x [devnet:stuck]', numImages: 1 });
    const created = await client.createTask({ ...built, taskFee: FEE });
    await client.uploadTaskArgs(created.taskId, built.taskArgs);
    assert.equal((await client.getTaskInfo(created.taskId)).state, 'running');
    const before = await client.getBalance();
    await devnet.increaseTime(121);
    const outcome = await client.waitForOutcome(created.taskId, { fromBlock: created.blockNumber, timeoutMs: 200, cancelOnTimeout: true });
    assert.equal(outcome.status, 'aborted');
    if (outcome.status !== 'aborted') return;
    assert.equal(outcome.abortReason, 'timeout');
    assert.match(outcome.cancelTxHash ?? '', /^0x[0-9a-f]{64}$/);
    const receipt = (await (await client.provider()).getTransactionReceipt(outcome.cancelTxHash!))!;
    const gasPaid = receipt.gasUsed * receipt.gasPrice;
    assert.equal(await client.getBalance(), before + FEE - gasPaid, 'the whole fee comes back (nobody was paid)');
    assert.equal((await client.getTaskInfo(created.taskId)).state, 'finished');
  });
});
