/**
 * crynux-create-task when the Task contract reverts (SPEC §3.5): a devnet with no GPU
 * workers and a TaskQueue limit of 0, so createTask has nowhere to put the task and
 * reverts with "No available task". The revert reaches a Catch node with that reason.
 */
import assert from 'node:assert/strict';
import type { Devnet } from '../../devnet';
import { forgetCarryOver } from '../../nodes/shared';
import { catchFlow, configCredentials, configNode, helper, nextMessage, nodeModule, onTab, recordStatus, useDevnet } from './node-helpers';

const NODES = ['crynux-config', 'crynux-build-task', 'crynux-create-task'].map(nodeModule);

describe('crynux-create-task node: reverts (devnet without workers, queue limit 0)', function () {
  let devnet: Devnet;

  useDevnet({ workers: 0, queueSizeLimit: 0 }, (d) => (devnet = d));
  afterEach(async () => {
    await helper.unload();
    forgetCarryOver('cfg'); // this devnet's records must not reach the next suite's
  });

  it('fails with ChainRevertError carrying the decoded reason; red ring; Catch node', async () => {
    await helper.load(
      NODES,
      onTab([
        configNode(devnet),
        { id: 'b', type: 'crynux-build-task', version: 1, taskType: 'gpt', gptModel: 'Qwen/Qwen2.5-7B-Instruct', wires: [['c']] },
        { id: 'c', type: 'crynux-create-task', version: 1, crynux: 'cfg', fee: '1', wires: [['out']] },
        { id: 'out', type: 'helper' },
        ...catchFlow('catcher', 'caught', ['c']),
      ]),
      configCredentials(devnet.appPrivateKey),
    );
    const status = recordStatus(helper.getNode('c'));
    const got = nextMessage(helper.getNode('caught'));
    helper.getNode('b').receive({ payload: 'hello' });
    const err = (await got).error;
    assert.equal(err.code, 'CHAIN_REVERT');
    assert.equal(err.message, "ChainRevertError: createTask was rejected by the Task contract: No available task (the contract's task queue is full or disabled; try again later or raise the fee)");
    const last = status.at(-1);
    assert.equal(last?.fill, 'red');
    assert.match(last?.text ?? '', /shared\.errors\.CHAIN_REVERT: No available task$/);
  });
});
