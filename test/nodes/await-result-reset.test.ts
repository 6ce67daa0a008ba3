/**
 * crynux-await-result across a chain reset: a msg kept while its devnet was replaced by a new
 * one (same chain id and addresses, task ids from 1 again) fails with OTHER_CHAIN, naming its
 * task, instead of waiting for, or being given, the outcome of the new chain's task with its id.
 */
import assert from 'node:assert/strict';
import { startDevnet, type Devnet } from '../../devnet';
import { buildSdTaskArgs } from '../../lib/task-args';
import { forgetCarryOver } from '../../nodes/shared';
import { catchFlow, helper, nodeModule, onTab, waitUntil } from './node-helpers';
import { clientOf, configCredentials, configNode, CONFIG_ID, createdTask, FEE_WEI, watchUnhandled } from '../e2e/devnet-flow';
import { devnetClient } from '../devnet/client-helpers';

const modules = [nodeModule('crynux-config'), nodeModule('crynux-await-result')];

describe('crynux-await-result node: a chain reset while a msg waits (devnet)', function () {
  this.timeout(90_000);
  const devnets: Devnet[] = [];

  before(() => helper.startServer());
  after(async () => {
    await helper.unload();
    await helper.stopServer();
    for (const d of devnets) await d.stop().catch(() => undefined);
    forgetCarryOver(CONFIG_ID);
  });

  const flow = (devnet: Devnet) =>
    onTab([
      configNode(devnet),
      { id: 'a', type: 'crynux-await-result', name: '', version: 1, crynux: CONFIG_ID, timeout: '60', cancelOnTimeout: false, store: '', wires: [['ok'], ['aborted']] },
      { id: 'ok', type: 'helper' },
      { id: 'aborted', type: 'helper' },
      ...catchFlow('catcher', 'caught', ['a']),
    ]);

  /** What the node keeps for each msg it waits for (Node-RED's default memory context). */
  function pending(node: any): Array<{ taskId: string; genesisHash?: string }> {
    const ctx = node.context();
    return (ctx.keys() as string[]).filter((k) => k.startsWith('pendingTask_')).map((k) => ctx.get(k));
  }

  it('the kept msg ends in OTHER_CHAIN on the new chain, and nothing is sent on either output', async () => {
    const unhandled = watchUnhandled();
    try {
      // No workers: the task stays queued, so the msg is still waiting when the chain goes.
      const first = await startDevnet({ workers: 0 });
      devnets.push(first);
      await helper.load(modules, flow(first), configCredentials(first.appPrivateKey));
      const node = helper.getNode('a');
      const built = buildSdTaskArgs({ prompt: 'kept across a reset', model: 'sd15', seed: 1 });
      const crynux = await createdTask(await clientOf(), built);
      node.receive({ topic: 'old chain', crynux });
      const genesisA = (await (await clientOf()).chain()).genesisHash;
      await waitUntil(() => pending(node)[0]?.genesisHash === genesisA, 10_000, 'the pending msg to name its chain');

      await first.stop();
      const second = await startDevnet({ workers: 0 });
      devnets.push(second);
      assert.equal(second.taskAddress, first.taskAddress);
      // The new chain's task with the same id is created and cancelled (queued tasks can be at
      // once): without the check, the kept msg would leave on output 2 with this abort.
      const other = devnetClient(second);
      try {
        const again = await other.createTask({ ...built, taskFee: FEE_WEI });
        assert.equal(again.taskId, crynux.taskId, 'task ids start from 1 again');
        await other.cancelTask(again.taskId);
      } finally {
        await other.close();
      }
      await helper.setFlows(flow(second), 'full', configCredentials(second.appPrivateKey));
      const seen = { ok: 0, aborted: 0 };
      helper.getNode('ok').on('input', () => seen.ok++);
      helper.getNode('aborted').on('input', () => seen.aborted++);
      const caught: any[] = [];
      helper.getNode('caught').on('input', (m: any) => caught.push(m));
      await waitUntil(() => caught.length === 1, 30_000, 'the kept msg to fail');
      assert.equal(caught[0].topic, 'old chain');
      assert.equal(caught[0].error.code, 'OTHER_CHAIN');
      assert.match(caught[0].error.message, new RegExp(`Task ${crynux.taskId} was created on another chain`));
      assert.deepEqual(seen, { ok: 0, aborted: 0 });
      assert.deepEqual(pending(helper.getNode('a')), [], 'forgotten once reported');
      assert.deepEqual(unhandled.errors, []);
    } finally {
      unhandled.stop();
    }
  });
});
