/**
 * crynux-create-task and crynux-upload-params on a real devnet (anvil, our Task contract,
 * the stand-in relay with a lag so the first upload attempt always meets "Task not found
 * on the Blockchain"): happy path, fee options, status phases, every error path reaching a
 * Catch node, many msgs in flight, close and redeploy mid-operation.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { JsonRpcProvider, Wallet, parseEther } from 'ethers';
import { startDevnet, type Devnet } from '../../devnet';
import { forgetCarryOver } from '../../nodes/shared';
import { catchFlow, completeFlow, configCredentials, configNode, helper, nextMessage, nodeModule, onTab, recordStatus, waitUntil } from './node-helpers';

const NODES = ['crynux-config', 'crynux-build-task', 'crynux-create-task', 'crynux-upload-params'].map(nodeModule);
const RELAY_LAG_MS = 700;

describe('crynux-create-task and crynux-upload-params nodes (devnet)', function () {
  let devnet: Devnet;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    devnet = await startDevnet({ workers: 3, relayLagMs: RELAY_LAG_MS });
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
    await devnet?.stop();
    process.off('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await helper.unload();
    forgetCarryOver('cfg'); // this devnet's records must not reach the next test's
    assert.deepEqual(unhandled, [], 'no unhandled rejections');
  });

  function flow(opts: { create?: Record<string, unknown>; upload?: Record<string, unknown>; confirmations?: string } = {}) {
    return onTab([
      configNode(devnet, { confirmations: opts.confirmations ?? '1' }),
      { id: 'b', type: 'crynux-build-task', version: 1, taskType: 'sd', model: 'sd15', prompt: 'a red fox', wires: [['c']] },
      { id: 'c', type: 'crynux-create-task', version: 1, crynux: 'cfg', fee: '1', feePerCap: false, wires: [['created', 'u']], ...opts.create },
      { id: 'created', type: 'helper' },
      { id: 'u', type: 'crynux-upload-params', version: 1, crynux: 'cfg', timeout: '20', wires: [['uploaded']], ...opts.upload },
      { id: 'uploaded', type: 'helper' },
      ...completeFlow('completer', 'completed', ['u']),
      ...catchFlow('catcher', 'caught', ['b', 'c', 'u']),
    ]);
  }

  async function load(opts: Parameters<typeof flow>[0] & { key?: string } = {}) {
    await helper.load(NODES, flow(opts), configCredentials(opts.key ?? devnet.appPrivateKey));
    const n = (id: string) => helper.getNode(id);
    return { build: n('b'), create: n('c'), upload: n('u'), created: n('created'), uploaded: n('uploaded'), completed: n('completed'), caught: n('caught') };
  }

  /** A msg as crynux-build-task makes it, for feeding the later nodes directly. */
  async function builtMsg(nodes: Awaited<ReturnType<typeof load>>, payload: unknown = 'a red fox') {
    const got = nextMessage(nodes.created);
    nodes.build.receive({ payload });
    return got;
  }

  async function caughtError(nodes: Awaited<ReturnType<typeof load>>, target: { receive(m: object): void }, msg: object) {
    const got = nextMessage(nodes.caught);
    target.receive(msg);
    return (await got).error;
  }

  it('creates a task and uploads its args: msg.crynux fields and status phases', async () => {
    const nodes = await load();
    const createStatus = recordStatus(nodes.create);
    const uploadStatus = recordStatus(nodes.upload);
    const done = nextMessage(nodes.completed);
    const got = nextMessage(nodes.uploaded);
    nodes.build.receive({ payload: 'a lighthouse' });
    const msg = await got;
    await done;
    const c = msg.crynux;
    assert.match(c.taskId, /^[1-9][0-9]*$/);
    assert.match(c.txHash, /^0x[0-9a-f]{64}$/);
    assert.ok(Number.isInteger(c.blockNumber) && c.blockNumber > 0);
    assert.equal(c.creator, devnet.appAddress);
    assert.equal(c.taskFee, parseEther('1').toString());
    assert.ok(!Number.isNaN(Date.parse(c.uploadedAt)));
    assert.deepEqual(
      createStatus.map((s) => [s.fill, s.text]),
      [
        ['blue', 'crynux-create-task.status.sending'],
        ['yellow', 'crynux-create-task.status.confirming'],
        ['green', 'crynux-create-task.status.created'],
      ],
    );
    const phases = uploadStatus.map((s) => `${s.fill} ${s.text}`);
    assert.equal(phases[0], 'blue crynux-upload-params.status.uploading');
    assert.ok(phases.includes('yellow crynux-upload-params.status.retrying'), `the relay lag forces a retry: ${phases}`);
    assert.equal(phases.at(-1), 'green crynux-upload-params.status.uploaded');
  });

  it('treats "Task already uploaded" as success', async () => {
    const nodes = await load();
    const first = nextMessage(nodes.uploaded);
    nodes.build.receive({});
    const msg = await first;
    const status = recordStatus(nodes.upload);
    const again = nextMessage(nodes.uploaded);
    nodes.upload.receive({ crynux: { taskId: msg.crynux.taskId, taskArgs: msg.crynux.taskArgs } });
    assert.ok((await again).crynux.uploadedAt);
    assert.equal(status.at(-1)?.text, 'crynux-upload-params.status.alreadyUploaded');
  });

  it('takes the fee from msg.crynux.taskFee (wei) or the dialog × cap', async () => {
    const nodes = await load({ create: { fee: '0.5', feePerCap: true, wires: [['created']] } });
    const two = nextMessage(nodes.created);
    nodes.build.receive({ payload: { prompt: 'two', numImages: 2 } });
    assert.equal((await two).crynux.taskFee, parseEther('1').toString());
    const built = await builtMsg(nodes);
    const custom = nextMessage(nodes.created);
    nodes.create.receive({ crynux: { ...built.crynux, taskId: undefined, taskFee: '12345' } });
    assert.equal((await custom).crynux.taskFee, '12345');
  });

  describe('errors reach a Catch node', () => {
    it('a missing field names it and the node that sets it', async () => {
      const nodes = await load();
      const err = await caughtError(nodes, nodes.create, { crynux: { taskType: 0 } });
      assert.equal(err.code, 'TASK_ARGS');
      assert.match(err.message, /msg\.crynux\.taskHash is missing \(set by crynux-build-task\)/);
      const err2 = await caughtError(nodes, nodes.upload, { crynux: { taskArgs: '{}' } });
      assert.match(err2.message, /msg\.crynux\.taskId is missing \(set by crynux-create-task\)/);
    });

    it('a bad fee, in the msg or the dialog', async () => {
      const nodes = await load({ create: { fee: 'lots' } });
      const built = { crynux: { taskType: 0, taskHash: `0x${'11'.repeat(32)}`, vramLimit: 8, cap: 1 } };
      const err = await caughtError(nodes, nodes.create, built);
      assert.match(err.message, /Setting "fee" must be an amount of CNX/);
      const err2 = await caughtError(nodes, nodes.create, { crynux: { ...built.crynux, taskFee: '-5' } });
      assert.match(err2.message, /msg\.crynux\.taskFee must be a fee in wei/);
      const err3 = await caughtError(nodes, nodes.create, { crynux: { ...built.crynux, cap: 0 } });
      assert.match(err3.message, /msg\.crynux\.cap must be a whole number, at least 1/);
    });

    it('insufficient funds: a fresh, unfunded wallet', async () => {
      const nodes = await load({ key: Wallet.createRandom().privateKey });
      const status = recordStatus(nodes.create);
      const err = await caughtError(nodes, nodes.build, { payload: 'no money' });
      assert.equal(err.code, 'INSUFFICIENT_FUNDS');
      assert.match(err.message, /CNX/);
      assert.deepEqual(status.at(-1), { fill: 'red', shape: 'ring', text: '@crynux-red/node-red-crynux/crynux-config:shared.errors.INSUFFICIENT_FUNDS' });
    });

    it('relay rejection: args changed after createTask → "Task hash mismatch"', async () => {
      const nodes = await load({ create: { wires: [['created']] } });
      const msg = await builtMsg(nodes);
      const status = recordStatus(nodes.upload);
      const tampered = { crynux: { ...msg.crynux, taskArgs: msg.crynux.taskArgs.replace('a red fox', 'a blue fox') } };
      const err = await caughtError(nodes, nodes.upload, tampered);
      assert.equal(err.code, 'RELAY_REJECTED');
      assert.match(err.message, /Task hash mismatch/);
      assert.ok(status.at(-1)?.text?.endsWith('Task hash mismatch'));
      assert.equal(status.at(-1)?.fill, 'red');
    });

    it('a bad "timeout" setting refuses every msg, naming the setting, instead of uploading with the default', async () => {
      const nodes = await load({ upload: { timeout: 'soon' } });
      const status = recordStatus(nodes.upload);
      const err = await caughtError(nodes, nodes.upload, { crynux: { taskId: '1', taskArgs: '{}' } });
      assert.equal(err.code, 'CONFIG');
      assert.equal(err.message, 'ConfigError: Setting "timeout" must be a number of seconds greater than 0 and at most 2147483 (24 days)');
      assert.equal(status.at(-1)?.fill, 'red');
    });

    it('timeout: the relay does not see the task within the upload timeout', async () => {
      const nodes = await load({ create: { wires: [['created']] }, upload: { timeout: '0.2' } });
      const msg = await builtMsg(nodes);
      const err = await caughtError(nodes, nodes.upload, { crynux: { taskId: msg.crynux.taskId, taskArgs: msg.crynux.taskArgs } });
      assert.equal(err.code, 'TIMEOUT');
      assert.match(err.message, /Task not found on the Blockchain/);
    });
  });

  it('keeps many msgs in flight apart: distinct tasks, one done each, count in the status', async () => {
    const nodes = await load();
    const status = recordStatus(nodes.create);
    const ids = new Set<string>();
    nodes.uploaded.on('input', (m: any) => ids.add(m.crynux.taskId));
    let completions = 0;
    nodes.completed.on('input', () => completions++);
    for (let i = 0; i < 6; i++) nodes.build.receive({ payload: `fox ${i}` });
    await waitUntil(() => completions === 6, 30_000, 'six uploads');
    assert.equal(ids.size, 6);
    assert.ok(status.some((s) => / \([2-6]\)$/.test(s.text ?? '')), 'the status shows how many are in flight');
    assert.equal(status.at(-1)?.fill, 'green');
  });

  it('close mid-upload: the msg fails once with "cancelled", nothing leaks', async () => {
    const nodes = await load({ create: { wires: [['created']] } });
    const msg = await builtMsg(nodes);
    const completions = sinon.spy(nodes.upload, '_complete');
    nodes.upload.receive({ crynux: { taskId: msg.crynux.taskId, taskArgs: msg.crynux.taskArgs } });
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await helper.unload();
    assert.ok(Date.now() - started < 4000, 'close does not wait for the upload timeout');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(completions.callCount, 1, 'done exactly once');
    const err = completions.firstCall.args[1] as Error & { code?: string };
    assert.equal(err?.code, 'CANCELLED');
  });

  it('the same msg sent again after it was delivered joins its task instead of paying again', async () => {
    const provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { cacheTimeout: -1 });
    try {
      const nodes = await load({ create: { wires: [['created']] } });
      const built = await builtMsg(nodes);
      const msg = { _msgid: 'again-1', crynux: { ...built.crynux } };
      const first = nextMessage(helper.getNode('created'));
      nodes.create.receive(structuredClone(msg));
      const a = (await first).crynux;
      const nonce = await provider.getTransactionCount(devnet.appAddress, 'pending');
      const second = nextMessage(helper.getNode('created'));
      nodes.create.receive(structuredClone(msg));
      const b = (await second).crynux;
      assert.deepEqual([b.taskId, b.txHash], [a.taskId, a.txHash]);
      assert.equal(await provider.getTransactionCount(devnet.appAddress, 'pending'), nonce, 'nothing was sent');
    } finally {
      provider.destroy();
    }
  });

  it('a msg re-sent after a redeploy interrupted its confirmation follows the first transaction (no second fee)', async () => {
    const provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { cacheTimeout: -1 });
    try {
      const creds = configCredentials(devnet.appPrivateKey);
      const nodes = await load({ create: { wires: [['created']] } });
      const built = await builtMsg(nodes);
      // 100 confirmations (the most allowed): the first attempt is surely still confirming when
      // the redeploy comes, however slow the machine (else it would test the case below).
      await helper.setFlows(flow({ create: { wires: [['created']] }, confirmations: '100' }), 'full', creds);
      const slow = helper.getNode('c');
      const completions = sinon.spy(slow, '_complete');
      const msg = { _msgid: 'resend-1', crynux: { ...built.crynux } };
      const status = recordStatus(slow);
      const nonceBefore = await provider.getTransactionCount(devnet.appAddress, 'pending');
      slow.receive(structuredClone(msg));
      await waitUntil(() => status.some((s) => s.text === 'crynux-create-task.status.confirming'), 5000, 'the broadcast');
      await helper.setFlows(flow({ create: { wires: [['created']] }, confirmations: '3' }), 'full', creds);
      assert.equal((completions.firstCall?.args[1] as { code?: string } | undefined)?.code, 'CANCELLED', 'the redeploy interrupted the first attempt');
      const got = nextMessage(helper.getNode('created'));
      helper.getNode('c').receive(structuredClone(msg));
      const created = (await got).crynux;
      assert.equal(await provider.getTransactionCount(devnet.appAddress, 'pending'), nonceBefore + 1, 'one transaction in all');
      const tx = await provider.getTransaction(created.txHash);
      assert.equal(tx?.nonce, nonceBefore, 'the task is the one the first attempt sent');
    } finally {
      provider.destroy();
    }
  });

  it('a msg delivered just before a redeploy and re-sent after it joins its task (no second fee)', async () => {
    // What a busy machine made of the test above: the first attempt was confirmed and its msg
    // delivered before the redeploy reached it. The same msg must still not pay again.
    const provider = new JsonRpcProvider(devnet.rpcUrl, undefined, { cacheTimeout: -1 });
    try {
      const opts = { create: { wires: [['created']] } };
      const nodes = await load(opts);
      const built = await builtMsg(nodes);
      const msg = { _msgid: 'delivered-1', crynux: { ...built.crynux } };
      const first = nextMessage(nodes.created);
      nodes.create.receive(structuredClone(msg));
      const a = (await first).crynux;
      const nonce = await provider.getTransactionCount(devnet.appAddress, 'pending');
      await helper.setFlows(flow(opts), 'full', configCredentials(devnet.appPrivateKey));
      const got = nextMessage(helper.getNode('created'));
      helper.getNode('c').receive(structuredClone(msg));
      const b = (await got).crynux;
      assert.deepEqual([b.taskId, b.txHash], [a.taskId, a.txHash]);
      assert.equal(await provider.getTransactionCount(devnet.appAddress, 'pending'), nonce, 'nothing was sent');
    } finally {
      provider.destroy();
    }
  });

  it('redeploy mid-create: the old msg ends once, the new flow works', async () => {
    const nodes = await load();
    const completions = sinon.spy(nodes.create, '_complete');
    const status = recordStatus(nodes.create);
    nodes.build.receive({ payload: 'during redeploy' });
    await waitUntil(() => status.length > 0, 5000, 'create-task to start');
    await helper.setFlows(flow({ create: { fee: '2' } }), 'full', configCredentials(devnet.appPrivateKey));
    await waitUntil(() => completions.callCount >= 1, 5000, 'the old msg to end');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(completions.callCount, 1, 'done exactly once for the msg in flight');
    const fresh = { build: helper.getNode('b'), created: helper.getNode('created') };
    const got = nextMessage(fresh.created);
    fresh.build.receive({ payload: 'after redeploy' });
    assert.equal((await got).crynux.taskFee, parseEther('2').toString());
  });
});
