/**
 * crynux-fetch-result in the Node-RED runtime against a real devnet: PNG images as one
 * array or one msg per image, the GPT reply checked against its on-chain sha256 (SPEC §6.5),
 * size and PNG checks, relay refusals and timeouts to Catch nodes, close mid-wait.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PNG } from 'pngjs';
import sinon from 'sinon';
import type { Devnet } from '../../devnet';
import type { CrynuxClient } from '../../lib/client';
import { TimeoutError } from '../../lib/errors';
import { buildGptTaskArgs, buildSdTaskArgs, type BuiltTask } from '../../lib/task-args';
import { RelayClient } from '../../lib/relay/relay-client';
import { catchFlow, helper, nodeModule, onTab, recordStatus, waitUntil, useDevnet } from './node-helpers';
import { clientOf, configCredentials, configNode, createdTask, sleep, watchUnhandled } from '../e2e/devnet-flow';

const modules = [nodeModule('crynux-config'), nodeModule('crynux-fetch-result')];

describe('crynux-fetch-result node (devnet)', function () {
  this.timeout(60_000);
  let devnet: Devnet;

  useDevnet({ workers: 3 }, (d) => (devnet = d));
  afterEach(async () => {
    sinon.restore();
    await helper.unload();
  });

  function flow(settings: Record<string, unknown> = {}, cfgKey?: string): object[] {
    return onTab([
      configNode(devnet),
      ...(cfgKey ? [configNode(devnet, { id: 'other', name: 'other wallet' })] : []),
      { id: 'f', type: 'crynux-fetch-result', name: '', version: 1, crynux: 'cfg', timeout: '30', output: 'array', parallel: '4', maxSize: '32', wires: [['out']], ...settings },
      { id: 'out', type: 'helper' },
      { id: 'cmp', type: 'complete', scope: ['f'], uncaught: false, wires: [['completed']] },
      { id: 'completed', type: 'helper' },
      ...catchFlow('catcher', 'caught', ['f']),
    ]);
  }

  async function load(settings: Record<string, unknown> = {}, otherKey?: string) {
    const creds = { ...configCredentials(devnet.appPrivateKey), ...(otherKey ? configCredentials(otherKey, 'other') : {}) };
    await helper.load(modules, flow(settings, otherKey), creds);
    const node = helper.getNode('f');
    const seen = { out: [] as any[], completed: [] as any[], caught: [] as any[] };
    for (const k of Object.keys(seen) as Array<keyof typeof seen>) helper.getNode(k).on('input', (m: any) => seen[k].push(m));
    return { node, seen, status: recordStatus(node) };
  }

  /** A task run through await-result's part by the client: msg.crynux after a success. */
  async function succeeded(client: CrynuxClient, built: BuiltTask): Promise<Record<string, unknown>> {
    const crynux = await createdTask(client, built);
    const outcome = await client.waitForOutcome(crynux.taskId as string, { fromBlock: crynux.blockNumber as number, timeoutMs: 30_000 });
    assert.equal(outcome.status, 'success', JSON.stringify(outcome));
    if (outcome.status !== 'success') throw new Error('not a success');
    return { ...crynux, status: 'success', result: outcome.result, resultNode: outcome.resultNode };
  }

  async function caughtError(seen: { caught: any[]; out: any[]; completed: any[] }) {
    await waitUntil(() => seen.caught.length === 1, 30_000, 'catch');
    await sleep(50);
    assert.equal(seen.out.length, 0);
    assert.equal(seen.completed.length, 0, 'done(err), not done()');
    assert.equal(seen.caught.length, 1, 'one error per msg');
    return seen.caught[0].error;
  }

  it('SD: sends all images as an array of PNG Buffers with mimetype image/png', async () => {
    const { node, seen, status } = await load();
    const client = await clientOf();
    const crynux = await succeeded(client, buildSdTaskArgs({ prompt: 'two foxes', numImages: 2, width: 64, height: 80 }));
    // Not uploaded yet as far as the node knows: it tries once at once, then waits for the upload event.
    const early = sinon.stub(client, 'downloadResults').onFirstCall().rejects(new TimeoutError('not uploaded yet'));
    early.callThrough();
    node.receive({ topic: 'fox', crynux });
    await waitUntil(() => seen.completed.length === 1, 30_000, 'complete');
    const msg = seen.out[0];
    assert.equal(seen.out.length, 1);
    assert.equal(msg.topic, 'fox');
    assert.equal(msg.mimetype, 'image/png');
    assert.equal(msg.payload.length, 2);
    for (const png of msg.payload) {
      assert.ok(Buffer.isBuffer(png));
      const img = PNG.sync.read(png);
      assert.deepEqual([img.width, img.height], [64, 80]);
    }
    assert.deepEqual(
      status.map((s) => `${s.fill}:${s.text}`),
      [
        'blue:crynux-fetch-result.status.downloading',
        'yellow:crynux-fetch-result.status.waitingUpload',
        'blue:crynux-fetch-result.status.downloading',
        'green:crynux-fetch-result.status.images',
      ],
    );
    assert.equal(early.callCount, 2);
  });

  it('SD, one message per image: msg.parts as the split node writes them, then done once', async () => {
    const { node, seen } = await load({ output: 'parts' });
    const crynux = await succeeded(await clientOf(), buildSdTaskArgs({ prompt: 'three owls', numImages: 3, width: 64, height: 64 }));
    node.receive({ _msgid: 'm1', crynux });
    await waitUntil(() => seen.completed.length === 1, 30_000, 'complete');
    assert.equal(seen.out.length, 3);
    const ids = new Set(seen.out.map((m) => m.parts.id));
    assert.equal(ids.size, 1);
    assert.deepEqual(seen.out.map((m) => [m.parts.index, m.parts.count, m.parts.type, m.parts.len]), [
      [0, 3, 'array', 1], [1, 3, 'array', 1], [2, 3, 'array', 1],
    ]);
    for (const m of seen.out) {
      assert.ok(Buffer.isBuffer(m.payload));
      assert.equal(m.mimetype, 'image/png');
      PNG.sync.read(m.payload);
    }
  });

  it('GPT: msg.payload is the reply text, msg.crynux.response the parsed file whose sha256 is on chain', async () => {
    const { node, seen, status } = await load();
    const crynux = await succeeded(await clientOf(), buildGptTaskArgs({ model: 'Qwen/Qwen2.5-0.5B-Instruct', prompt: 'Say hello' }));
    node.receive({ crynux });
    await waitUntil(() => seen.completed.length === 1, 30_000, 'complete');
    const msg = seen.out[0];
    assert.equal(typeof msg.payload, 'string');
    assert.equal(msg.payload, msg.crynux.response.choices[0].message.content);
    assert.equal(msg.crynux.response.choices[0].message.role, 'assistant');
    assert.equal(`0x${createHash('sha256').update(msg.crynux.files[0]).digest('hex')}`, crynux.result);
    assert.equal(status.at(-1)?.text, 'crynux-fetch-result.status.reply');
  });

  it('GPT: a reply that does not hash to the on-chain result fails with RESULT_INTEGRITY', async () => {
    // A real relay cannot serve other bytes on demand: the download itself is replaced.
    const { node, seen, status } = await load();
    const crynux = await succeeded(await clientOf(), buildGptTaskArgs({ model: 'm/m', prompt: 'Say hello' }));
    sinon.stub(RelayClient.prototype, 'downloadResult').resolves(Buffer.from('{"model":"m/m","choices":[]}'));
    node.receive({ crynux });
    const err = await caughtError(seen);
    assert.equal(err.code, 'RESULT_INTEGRITY');
    assert.match(err.message, /sha256/);
    assert.equal(status.at(-1)?.fill, 'red');
  });

  it('SD: a file that is not a PNG is refused (RESULT_INTEGRITY)', async () => {
    const { node, seen } = await load();
    const crynux = await succeeded(await clientOf(), buildSdTaskArgs({ prompt: 'a cat', numImages: 1, width: 64, height: 64 }));
    sinon.stub(RelayClient.prototype, 'downloadResult').resolves(Buffer.from('GIF89a not a png'));
    node.receive({ crynux });
    const err = await caughtError(seen);
    assert.match(err.message, /not a PNG/);
  });

  it('refuses a file larger than the size limit (real download, limit of ~100 bytes)', async () => {
    const { node, seen } = await load({ maxSize: '0.0001' });
    const crynux = await succeeded(await clientOf(), buildSdTaskArgs({ prompt: 'a big dog', numImages: 1, width: 128, height: 128 }));
    node.receive({ crynux });
    const err = await caughtError(seen);
    assert.match(err.message, /^ResultIntegrityError: Result file 0 of task \d+ is larger than the limit of 0\.000099 MiB \(104 bytes\): (the relay announced|more than that was received)/);
    assert.doesNotMatch(err.message, /\/v1\//, 'no internal URL path');
  });

  it('a msg from the aborted output fails with a message that says where to wire the node', async () => {
    const { node, seen } = await load();
    node.receive({ crynux: { taskId: '1', taskType: 0, status: 'aborted', abortReason: 'Task error reported' } });
    const err = await caughtError(seen);
    assert.match(err.message, /aborted \(Task error reported\)/);
    assert.match(err.message, /"success" output of crynux-await-result/);
  });

  it('bad input names the field: msg.crynux.taskType', async () => {
    const { node, seen } = await load();
    node.receive({ crynux: { taskId: '3', taskType: 7 } });
    const err = await caughtError(seen);
    assert.match(err.message, /msg\.crynux\.taskType must be 0 \(Stable Diffusion\) or 1 \(GPT\)/);
  });

  /** The result node of a [devnet:no-upload] task stays busy until the task is cancelled after its deadline. */
  async function cancelAfterDeadline(client: CrynuxClient, taskId: string): Promise<void> {
    await devnet.increaseTime(901);
    await client.cancelTask(taskId);
  }

  it('with a bad "largest file" setting refuses every msg, naming the setting, instead of using the default', async () => {
    const { node, seen, status } = await load({ maxSize: '-1' });
    node.receive({ crynux: { taskId: '1', taskType: 0 } });
    const err = await caughtError(seen);
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.message, 'ConfigError: Setting "largest file" must be a number of MiB greater than 0 and at most 1024');
    assert.equal(status.at(-1)?.fill, 'red');
  });

  it('results never uploaded: TIMEOUT after the timeout, to the Catch node', async () => {
    const { node, seen, status } = await load({ timeout: '1' });
    const client = await clientOf();
    const crynux = await succeeded(client, buildSdTaskArgs({ prompt: 'kept back [devnet:no-upload]', numImages: 1, width: 64, height: 64 }));
    node.receive({ crynux });
    const err = await caughtError(seen);
    assert.equal(err.code, 'TIMEOUT');
    // One early attempt (the relay has nothing), then the wait for the upload report.
    assert.deepEqual(status.slice(0, 2).map((s) => s.text), ['crynux-fetch-result.status.downloading', 'crynux-fetch-result.status.waitingUpload']);
    assert.equal(status.at(-1)?.fill, 'red');
    await cancelAfterDeadline(client, crynux.taskId as string);
  });

  it('success, then cancelled before any upload: fails with TASK_ABORTED instead of waiting out the timeout', async () => {
    const { node, seen } = await load({ timeout: '50' });
    const client = await clientOf();
    const crynux = await succeeded(client, buildSdTaskArgs({ prompt: 'kept back [devnet:no-upload]', numImages: 1, width: 64, height: 64 }));
    node.receive({ crynux });
    await waitUntil(() => client.health().pending > 0, 5_000, 'watching for the upload');
    await cancelAfterDeadline(client, crynux.taskId as string);
    const err = await caughtError(seen);
    assert.equal(err.code, 'TASK_ABORTED');
    assert.match(err.message, /Task Cancelled/);
  });

  it('another wallet may not download: the relay refusal reaches the Catch node (RELAY_REJECTED)', async () => {
    const { node, seen } = await load({ crynux: 'other' }, devnet.spareKeys[0]);
    const crynux = await succeeded(await clientOf('cfg'), buildSdTaskArgs({ prompt: 'mine', numImages: 1, width: 64, height: 64 }));
    node.receive({ crynux });
    const err = await caughtError(seen);
    assert.equal(err.code, 'RELAY_REJECTED');
    assert.match(err.message, /Signer not allowed/);
  });

  it('closing mid-wait ends the msg once and leaves no unhandled rejection', async () => {
    const unhandled = watchUnhandled();
    let unloaded = false;
    let taskId = '';
    try {
      const { node } = await load();
      const client = await clientOf();
      const crynux = await succeeded(client, buildSdTaskArgs({ prompt: 'never [devnet:no-upload]', numImages: 1, width: 64, height: 64 }));
      taskId = crynux.taskId as string;
      const done = sinon.spy();
      const send = sinon.spy();
      // The handler itself, to see its done() (the Complete/Catch nodes are stopping too).
      node._inputCallback({ crynux }, send, done);
      await waitUntil(() => client.health().pending > 0, 5_000, 'watching for the upload');
      await helper.unload();
      unloaded = true;
      await waitUntil(() => done.callCount > 0, 5_000, 'done');
      await sleep(100);
      assert.equal(done.callCount, 1);
      assert.ok(['CANCELLED', 'CLOSED'].includes(done.firstCall.args[0]?.code), String(done.firstCall.args[0]));
      assert.equal(send.callCount, 0);
      assert.deepEqual(unhandled.errors, []);
    } finally {
      unhandled.stop();
      if (unloaded) await helper.load(modules, flow(), configCredentials(devnet.appPrivateKey)); // for afterEach's unload
      if (taskId) await cancelAfterDeadline(await clientOf(), taskId);
    }
  });
});
