/**
 * CrynuxClient.fetchResults: one early download attempt when the success is known (the relay
 * usually has the files before TaskResultUploaded is mined), otherwise the wait for the event.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { startDevnet, type Devnet } from '../../devnet';
import { CrynuxClient } from '../../lib/client';
import { buildSdTaskArgs } from '../../lib/task-args';

describe('CrynuxClient.fetchResults (devnet)', function () {
  this.timeout(60_000);
  let devnet: Devnet;
  const clients: CrynuxClient[] = [];
  const open = () => {
    const c = new CrynuxClient({
      rpcUrls: [devnet.rpcUrl], chainId: devnet.chainId, taskAddress: devnet.taskAddress,
      taskQueueAddress: devnet.taskQueueAddress, relayUrl: devnet.relayUrl, privateKey: devnet.appPrivateKey, pollIntervalMs: 100,
    });
    clients.push(c);
    return c;
  };
  before(async () => {
    devnet = await startDevnet({ workers: 3 });
  });
  afterEach(async () => {
    sinon.restore();
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  after(async () => devnet?.stop());

  async function created(client: CrynuxClient, prompt: string) {
    const built = buildSdTaskArgs({ prompt, numImages: 2, width: 64, height: 64 });
    const task = await client.createTask({ ...built, taskFee: 1000n });
    await client.uploadTaskArgs(task.taskId, built.taskArgs, { timeoutMs: 30_000 });
    return task;
  }

  it('downloads at once, without waiting for the upload event, when the files are already on the relay', async () => {
    const first = open();
    const task = await created(first, 'early download');
    const outcome = await first.waitForOutcome(task.taskId, { fromBlock: task.blockNumber, timeoutMs: 30_000 });
    assert.equal(outcome.status, 'success');
    await first.waitForResultUploaded(task.taskId, { fromBlock: task.blockNumber, timeoutMs: 30_000 });

    // A second client (e.g. after a restart) knows the result from the msg but not the upload.
    const second = open();
    const wait = sinon.spy(second, 'waitForResultUploaded');
    const stages: string[] = [];
    const { files } = await second.fetchResults(task.taskId, 0, {
      result: outcome.status === 'success' ? outcome.result : undefined, fromBlock: task.blockNumber, timeoutMs: 30_000,
      onStage: (s) => stages.push(s),
    });
    assert.equal(files.length, 2);
    assert.equal(wait.callCount, 0, 'no wait for TaskResultUploaded');
    assert.deepEqual(stages, ['downloading']);
  });

  it('falls back to waiting for the upload when the early attempt finds nothing yet', async () => {
    const client = open();
    // Slow workers: the task has not even succeeded when fetchResults starts, so the relay answers
    // "Task results not uploaded" to the early attempt.
    const task = await created(client, 'late files [devnet:slow=3000]');
    // Two images' worth of result (SD files are checked for the PNG signature, not against it).
    const result = `0x${'00'.repeat(16)}`;
    const wait = sinon.spy(client, 'waitForResultUploaded');
    const stages: string[] = [];
    const { files } = await client.fetchResults(task.taskId, 0, {
      result, fromBlock: task.blockNumber, timeoutMs: 30_000, onStage: (s) => stages.push(s),
    });
    assert.equal(wait.callCount, 1, 'waited for TaskResultUploaded');
    assert.deepEqual(stages, ['downloading', 'waiting', 'downloading']);
    assert.equal(files.length, 2);
  });
});
