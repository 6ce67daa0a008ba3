/**
 * Issue 6, item 2 through the nodes: while the only RPC is down, crynux-await-result keeps
 * its msg, says in its status that the RPC does not answer, and delivers the outcome once
 * after the RPC is back, although the task finished during the outage. (The 30 s outage
 * with the cursor and range checks is rpc-faults.test.ts; this one is short.)
 */
import assert from 'node:assert/strict';
import { startDevnet, type Devnet } from '../../devnet';
import { buildGptTaskArgs } from '../../lib/task-args';
import { startRpcProxy, type RpcProxy } from '../helpers/rpc-proxy';
import { helper, nodeModule, onTab, recordStatus } from '../nodes/node-helpers';
import { clientOf, configCredentials, configNode, createdTask } from '../e2e/devnet-flow';
import { eventBlocks, guardProcess, waitUntil } from './helpers';

const RPC_PROBLEM = /rpc|connect|unreachable|no answer|not answer/i;

describe('reliability: an RPC outage seen through crynux-await-result (issue 6 item 2)', function () {
  this.timeout(90_000);
  let devnet: Devnet;
  let proxy: RpcProxy;
  let guard: ReturnType<typeof guardProcess>;

  before(async () => {
    devnet = await startDevnet({ workers: 3 });
    proxy = await startRpcProxy(devnet.rpcUrl);
    await helper.startServer();
    guard = guardProcess();
  });
  after(async () => {
    await helper.unload();
    await helper.stopServer();
    await proxy?.close();
    await devnet?.stop();
    assert.deepEqual(guard?.stop() ?? [], [], 'no unhandled rejection or uncaught exception');
  });

  it('shows the RPC problem in its status while it lasts and sends the outcome once afterwards', async () => {
    await helper.load([nodeModule('crynux-config'), nodeModule('crynux-await-result')], onTab([
      configNode(devnet, { rpcUrls: proxy.url }),
      { id: 'out-a', type: 'crynux-await-result', version: 1, crynux: 'cfg', timeout: '120', cancelOnTimeout: false, store: '', wires: [['out-ok'], ['out-aborted']] },
      { id: 'out-ok', type: 'helper' },
      { id: 'out-aborted', type: 'helper' },
    ]), configCredentials(devnet.appPrivateKey));
    const node = helper.getNode('out-a');
    const status = recordStatus(node);
    const sent: unknown[] = [];
    for (const id of ['out-ok', 'out-aborted']) helper.getNode(id).on('input', (m: unknown) => sent.push(m));

    const crynux = await createdTask(await clientOf(), buildGptTaskArgs({ model: 'm/m', prompt: 'node outage [devnet:slow=1000]' }));
    node.receive({ topic: 'outage', crynux });
    await waitUntil('await-result to wait', () => status.some((s) => s.fill === 'yellow'));

    await proxy.kill('refuse');
    await waitUntil('TaskResultUploaded on chain', async () =>
      (await eventBlocks(devnet.rpcUrl, devnet.taskAddress, 'TaskSuccess', String(crynux.taskId))).length > 0);
    await waitUntil('the status to show the RPC problem', () => status.some((s) => RPC_PROBLEM.test(s.text ?? '')), 15_000)
      .catch(() => assert.fail(`the node status never mentioned the RPC problem: ${JSON.stringify(status)}`));
    assert.equal(sent.length, 0, 'nothing sent during the outage');

    await proxy.revive();
    await waitUntil('the outcome', () => sent.length > 0);
    assert.equal((sent[0] as { crynux: { status: string } }).crynux.status, 'success');
    await waitUntil('the status to recover', () => !RPC_PROBLEM.test(status.at(-1)?.text ?? ''));
    assert.equal(sent.length, 1, 'sent once');
  });
});
