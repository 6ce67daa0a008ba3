/**
 * Issue 6, item 1: a real Node-RED runtime (persistent `localfilesystem` context) is stopped
 * in the middle of a task and started again on the same user directory.
 *
 * - Stopped after create-task, before TaskSuccess (the task finishes while it is down):
 *   after the restart await-result resumes and the result is sent exactly once, carrying the
 *   original msg's JSON-safe fields; a further restart sends nothing again.
 * - Killed with SIGKILL (a crash) while waiting, with localfilesystem flushing every second:
 *   the same, once the pending msg had reached the disk.
 * - Stopped while the createTask transaction is pending (anvil holds it in its pool): after
 *   the restart no second createTask is sent for that msg; the pending transaction is found
 *   by its hash and followed, and the msg goes on to its result.
 *
 * The devnet here mines only on transactions (startManualDevnet), so the test decides when
 * the pending transaction is mined.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { rpcCall } from '../../devnet/chain/anvil';
import { configNode, pipelineFlow, type Line } from './flows';
import { deploy, flowsStarted, startRuntime, type Runtime } from './runtime';
import { eventBlocks, startManualDevnet, txCount, waitUntil, type ManualDevnet } from './helpers';

const SETTINGS = {
  contextStorage: { default: { module: 'localfilesystem' } },
  logging: { console: { level: 'debug', metrics: false, audit: false } },
};

function lines(dir: string, name: string): Line[] {
  const file = path.join(dir, `${name}.log`);
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
}

describe('reliability: restarting the Node-RED runtime mid-task (issue 6 item 1)', function () {
  this.timeout(120_000);
  let devnet: ManualDevnet;
  let root: string;
  const runtimes: Runtime[] = [];

  before(async () => {
    devnet = await startManualDevnet();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-restart-'));
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed') for (const r of runtimes) console.log(r.log().slice(-4000));
    await Promise.all(runtimes.splice(0).map((r) => r.stop()));
    await devnet.setAutomine(true);
  });
  after(async () => {
    await devnet?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  async function start(userDir: string, settings: Record<string, unknown> = SETTINGS): Promise<Runtime> {
    const r = await startRuntime({ userDir, settings });
    runtimes.push(r);
    return r;
  }

  async function stop(r: Runtime): Promise<void> {
    await r.stop();
    runtimes.splice(runtimes.indexOf(r), 1);
  }

  /** Pending-task keys in await-result's context (what a restart would resume). */
  async function pendingKeys(r: Runtime): Promise<string[]> {
    const ctx = await r.api<Record<string, Record<string, unknown>>>('GET', 'context/node/rel-await');
    return Object.values(ctx ?? {}).flatMap((store) => Object.keys(store ?? {})).filter((k) => k.startsWith('pendingTask_'));
  }

  it('stopped between create-task and TaskSuccess: the result is sent once after the restart, with the original msg', async () => {
    const dir = path.join(root, 'await');
    const key = devnet.keys[0];
    const first = await start(dir);
    await deploy(first, [...pipelineFlow(dir, 'a lighthouse [devnet:slow=4000]'), configNode(devnet, key)]);
    await first.api('POST', 'inject/rel-go');

    const [uploaded] = await waitUntil('the args to be uploaded', () => lines(dir, 'uploaded').length > 0 && lines(dir, 'uploaded'));
    await waitUntil('await-result to hold the msg', async () => (await pendingKeys(first)).length === 1);
    await stop(first);
    assert.deepEqual(lines(dir, 'results'), [], 'no result before the stop');

    // The task finishes on chain while the runtime is down.
    await waitUntil('TaskResultUploaded on chain', async () =>
      (await eventBlocks(devnet.rpcUrl, devnet.taskAddress, 'TaskResultUploaded', uploaded.taskId!)).length > 0);

    const second = await start(dir);
    const [result] = await waitUntil('the result after the restart', () => lines(dir, 'results').length > 0 && lines(dir, 'results'));
    assert.equal(result.status, 'success');
    assert.equal(result.files, 1, 'the image was downloaded');
    assert.deepEqual(
      [result.msgid, result.topic, result.custom, result.taskId],
      [uploaded.msgid, 'restart-test', { order: 42, tags: ['a', 'b'], nested: { x: null } }, uploaded.taskId],
      'the original msg went on',
    );
    await waitUntil('the delivered msg to leave the context', async () => (await pendingKeys(second)).length === 0);
    assert.deepEqual(lines(dir, 'errors'), []);

    // Nothing is left to resume: a further restart sends nothing again.
    await stop(second);
    const third = await start(dir);
    await flowsStarted(third);
    assert.deepEqual(await pendingKeys(third), []);
    assert.equal(lines(dir, 'results').length, 1, 'exactly once');
  });

  it('killed (SIGKILL) while waiting, with the context flushed every second: the result is sent once after the restart', async () => {
    const dir = path.join(root, 'kill');
    const settings = { ...SETTINGS, contextStorage: { default: { module: 'localfilesystem', config: { flushInterval: 1 } } } };
    const first = await start(dir, settings);
    await deploy(first, [...pipelineFlow(dir, 'a lighthouse in fog [devnet:slow=3000]'), configNode(devnet, devnet.keys[2])]);
    await first.api('POST', 'inject/rel-go');
    const [uploaded] = await waitUntil('the args to be uploaded', () => lines(dir, 'uploaded').length > 0 && lines(dir, 'uploaded'));
    const onDisk = () => fs.readdirSync(path.join(dir, 'context'), { recursive: true }).map(String)
      .some((f) => f.endsWith('.json') && fs.readFileSync(path.join(dir, 'context', f), 'utf8').includes('pendingTask_'));
    await waitUntil('the pending msg on disk', () => fs.existsSync(path.join(dir, 'context')) && onDisk());
    await first.kill();
    runtimes.splice(runtimes.indexOf(first), 1);

    const second = await start(dir, settings);
    const [result] = await waitUntil('the result after the restart', () => lines(dir, 'results').length > 0 && lines(dir, 'results'));
    assert.deepEqual([result.status, result.msgid, result.taskId], ['success', uploaded.msgid, uploaded.taskId]);
    await waitUntil('the delivered msg to leave the context', async () => (await pendingKeys(second)).length === 0);
    assert.equal(lines(dir, 'results').length, 1, 'exactly once');
    assert.deepEqual(lines(dir, 'errors'), []);
  });

  it('stopped while the createTask transaction is pending: no second createTask, the pending one is followed', async () => {
    const dir = path.join(root, 'create');
    const key = devnet.keys[1];
    const address = new Wallet(key).address;
    const first = await start(dir);
    await deploy(first, [...pipelineFlow(dir, 'a harbour at night'), configNode(devnet, key)]);
    const sent = await txCount(devnet.rpcUrl, address);

    await devnet.setAutomine(false);
    await first.api('POST', 'inject/rel-go');
    const [built] = await waitUntil('build-task', () => lines(dir, 'built').length > 0 && lines(dir, 'built'));
    await waitUntil('the createTask transaction in the pool', async () => (await txCount(devnet.rpcUrl, address, 'pending')) === sent + 1);
    await stop(first);
    // Mined while the runtime is down.
    await devnet.setAutomine(true);
    await rpcCall(devnet.rpcUrl, 'evm_mine', []);
    assert.equal(await txCount(devnet.rpcUrl, address), sent + 1);

    await start(dir);
    const [result] = await waitUntil(
      'the result after the restart (create-task must resume the createTask that was pending when Node-RED stopped; ' +
        'its tracked record holds the hash and the signed transaction)',
      () => lines(dir, 'results').length > 0 && lines(dir, 'results'), 60_000);
    assert.equal(result.status, 'success');
    assert.equal(result.msgid, built.msgid, 'the msg that was being created went on');
    assert.equal(await txCount(devnet.rpcUrl, address), sent + 1, 'exactly one createTask was sent');
    assert.deepEqual(lines(dir, 'errors'), []);
  });
});
