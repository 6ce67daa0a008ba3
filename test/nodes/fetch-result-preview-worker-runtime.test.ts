/**
 * crynux-fetch-result in the Node-RED runtime against a real devnet: the msg goes on first, the
 * preview follows from the shared thread (equal to previewOf of the msg's images), the thread
 * outlives a node removed by a redeploy and ends when the flow is unloaded; without threads the
 * preview is made on the main thread, still after the msg.
 */
import assert from 'node:assert/strict';
import workerThreads from 'node:worker_threads';
import sinon from 'sinon';
import type { Devnet } from '../../devnet';
import { buildSdTaskArgs } from '../../lib/task-args';
import { PREVIEW_TOPIC_PREFIX, previewOf, type PreviewData } from '../../nodes/crynux-fetch-result.preview';
import { sharedPreviewPool } from '../../nodes/crynux-fetch-result.preview-worker';
import { clientOf, configCredentials, configNode, createdTask, watchUnhandled } from '../e2e/devnet-flow';
import { helper, nodeModule, onTab, waitUntil, useDevnet } from './node-helpers';
import { watch } from './preview-fixtures';

describe('crynux-fetch-result in the runtime: previews on the thread (devnet)', function () {
  this.timeout(60_000);
  let devnet: Devnet;
  let publish: sinon.SinonSpy | undefined;
  const fetchResult = nodeModule('crynux-fetch-result');
  const spied = (RED: any) => {
    publish = sinon.spy(RED.comms, 'publish');
    fetchResult(RED);
  };
  const previews = () => (publish?.getCalls() ?? []).filter((c) => String(c.args[0]).startsWith(PREVIEW_TOPIC_PREFIX) && (c.args[1] as PreviewData).count > 0);
  const fetchNode = (id: string) => ({ id, type: 'crynux-fetch-result', name: '', version: 1, crynux: 'cfg', timeout: '30', output: 'array', parallel: '4', maxSize: '32', previewSize: '64', wires: [['out']] });
  const flow = (...ids: string[]) => onTab([configNode(devnet), ...ids.map(fetchNode), { id: 'out', type: 'helper' }]);

  useDevnet({ workers: 3 }, (d) => (devnet = d));
  afterEach(async () => {
    await helper.unload();
    sinon.restore();
    publish = undefined;
  });

  /** Loads the flow; each msg at `out` is kept with how many previews were published before it. */
  async function load(...ids: string[]) {
    await helper.load([nodeModule('crynux-config'), spied], flow(...ids), configCredentials(devnet.appPrivateKey));
    const out: Array<{ msg: any; previewsBefore: number }> = [];
    helper.getNode('out').on('input', (msg: any) => out.push({ msg, previewsBefore: previews().length }));
    return out;
  }

  async function imageTask(width: number, numImages: number): Promise<Record<string, unknown>> {
    const client = await clientOf();
    const crynux = await createdTask(client, buildSdTaskArgs({ prompt: 'a heron at dawn', numImages, width, height: width }));
    const outcome = await client.waitForOutcome(crynux.taskId as string, { fromBlock: crynux.blockNumber as number, timeoutMs: 30_000 });
    assert.equal(outcome.status, 'success', JSON.stringify(outcome));
    return { ...crynux, status: 'success', result: (outcome as { result: string }).result };
  }

  it('msg first, then the preview made on the thread, equal to previewOf of msg.payload; the thread outlives a removed node and ends at unload', async () => {
    const out = await load('f1', 'f2');
    const pool = sharedPreviewPool();
    assert.ok(pool, 'the nodes share a pool');
    const seen = watch(pool);
    const crynux = await imageTask(1024, 2);
    helper.getNode('f1').receive({ crynux });
    await waitUntil(() => out.length === 1, 30_000, 'the msg');
    assert.equal(out[0].previewsBefore, 0, 'the msg did not wait for its preview');
    const [call] = await waitUntil(() => previews().length === 1 && previews(), 30_000, 'the preview');
    assert.equal(call.args[0], `${PREVIEW_TOPIC_PREFIX}f1`);
    assert.equal(call.args[2], true);
    const payload = out[0].msg.payload as Buffer[];
    assert.equal(payload.length, 2);
    assert.deepEqual(call.args[1], previewOf(payload, 64, crynux.taskId as string));
    assert.deepEqual([pool.counts.thread, pool.counts.mainThread, seen.spawned.length], [1, 0, 1]);
    const thread = seen.spawned[0];

    // A redeploy of changed nodes only, without f2: f1 still uses the thread.
    await helper.setFlows(flow('f1'), 'nodes', configCredentials(devnet.appPrivateKey));
    assert.equal(sharedPreviewPool(), pool);
    assert.equal(pool.threadId, thread.threadId);
    assert.deepEqual(seen.exited, []);

    await helper.unload();
    assert.deepEqual(seen.exited, [thread], 'the last fetch-result node took the thread with it');
    assert.equal(thread.threadId, -1);
    assert.equal(sharedPreviewPool(), undefined);
  });

  it('no thread to be had (Worker throws): the preview is made on the main thread, after the msg; nothing fails', async () => {
    sinon.stub(workerThreads, 'Worker').throws(new Error('threads are not available here'));
    const unhandled = watchUnhandled();
    try {
      const out = await load('f1');
      const pool = sharedPreviewPool()!;
      const crynux = await imageTask(256, 1);
      helper.getNode('f1').receive({ crynux });
      await waitUntil(() => out.length === 1, 30_000, 'the msg');
      assert.equal(out[0].previewsBefore, 0, 'the msg did not wait for its preview');
      const [call] = await waitUntil(() => previews().length === 1 && previews(), 30_000, 'the preview');
      assert.deepEqual(call.args[1], previewOf(out[0].msg.payload, 64, crynux.taskId as string));
      assert.deepEqual(pool.counts, { thread: 0, mainThread: 1, dropped: 0 });
      // Errors of anything, warnings of the node (the runtime warns about the test setup itself).
      const errors = helper.log().args.map((a: any[]) => a[0]).filter((e: any) => e?.level <= 20 || (e?.id === 'f1' && e.level <= 30));
      assert.deepEqual(errors, []);
      assert.deepEqual(unhandled.errors, []);
    } finally {
      unhandled.stop();
    }
  });
});
