/**
 * crynux-await-result in the Node-RED runtime against a real devnet: the first terminal
 * event on the right output (SPEC §3.8), the timeout and its refunding cancel (§3.9), bad
 * input to Catch nodes, status with several tasks, and pending msgs surviving a redeploy.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sinon from 'sinon';
import type { Devnet } from '../../devnet';
import { buildSdTaskArgs, buildGptTaskArgs } from '../../lib/task-args';
import { ABORT_REASONS } from '../../lib/protocol';
import { handover } from '../../nodes/crynux-await-result.pending';
import { catchFlow, helper, nodeModule, onTab, recordStatus, waitUntil, useDevnet } from './node-helpers';
import { clientOf, configCredentials, configNode, createdTask, sleep, watchUnhandled, FEE_WEI } from '../e2e/devnet-flow';

const modules = [nodeModule('crynux-config'), nodeModule('crynux-await-result')];
const DEADLINE_S = 60;

function sd(prompt: string) {
  return buildSdTaskArgs({ prompt, numImages: 1, width: 64, height: 64 });
}

describe('crynux-await-result node (devnet)', function () {
  this.timeout(60_000);
  let devnet: Devnet;

  useDevnet({ workers: 3, taskTimeoutSeconds: DEADLINE_S }, (d) => (devnet = d));
  afterEach(() => helper.unload());

  function flow(settings: Record<string, unknown> = {}): object[] {
    return onTab([
      configNode(devnet),
      { id: 'a', type: 'crynux-await-result', name: '', version: 1, crynux: 'cfg', timeout: '30', cancelOnTimeout: false, store: '', wires: [['ok'], ['aborted']], ...settings },
      { id: 'ok', type: 'helper' },
      { id: 'aborted', type: 'helper' },
      { id: 'cmp', type: 'complete', scope: ['a'], uncaught: false, wires: [['completed']] },
      { id: 'completed', type: 'helper' },
      ...catchFlow('catcher', 'caught', ['a']),
    ]);
  }

  async function load(settings: Record<string, unknown> = {}) {
    await helper.load(modules, flow(settings), configCredentials(devnet.appPrivateKey));
    const node = helper.getNode('a');
    const seen = { ok: [] as any[], aborted: [] as any[], completed: [] as any[], caught: [] as any[] };
    const listened = new Set<unknown>();
    /** Listens on the current helper nodes (again after a deploy replaced some of them). */
    const listen = () => {
      for (const k of Object.keys(seen) as Array<keyof typeof seen>) {
        const n = helper.getNode(k);
        if (listened.has(n)) continue;
        listened.add(n);
        n.on('input', (m: any) => seen[k].push(m));
      }
    };
    listen();
    return { node, seen, listen, status: recordStatus(node) };
  }

  function pendingKeys(node: any): string[] {
    return (node.context().keys() as string[]).filter((k) => k.startsWith('pendingTask_'));
  }

  function pendingKeysAsync(node: any, store = 'file'): Promise<string[]> {
    return new Promise((resolve, reject) =>
      node.context().keys(store, (err: Error | null, keys: string[]) => (err ? reject(err) : resolve(keys.filter((k) => k.startsWith('pendingTask_'))))),
    );
  }

  it('sends a success on output 1 with result and resultNode, then forgets the pending msg', async () => {
    const { node, seen, status } = await load();
    const crynux = await createdTask(await clientOf(), sd('a lighthouse at dusk'));
    node.receive({ payload: 'keep me', crynux });
    await waitUntil(() => seen.completed.length === 1, 30_000, 'complete');
    assert.equal(seen.ok.length, 1);
    assert.equal(seen.aborted.length, 0);
    const msg = seen.ok[0];
    assert.equal(msg.payload, 'keep me');
    assert.equal(msg.crynux.status, 'success');
    assert.match(msg.crynux.result, /^0x[0-9a-f]{16}$/, '8 bytes for one SD image');
    assert.ok(devnet.workerAddresses.includes(msg.crynux.resultNode), msg.crynux.resultNode);
    assert.equal(msg.crynux.taskId, crynux.taskId);
    assert.deepEqual(pendingKeys(node), []);
    assert.deepEqual(status[0], { fill: 'yellow', shape: 'dot', text: 'crynux-await-result.status.waiting' });
    assert.deepEqual(status.at(-1), { fill: 'green', shape: 'dot', text: 'crynux-await-result.status.success' });
    await sleep(100);
    assert.equal(seen.caught.length, 0);
  });

  for (const [marker, reason] of [
    ['[devnet:error]', ABORT_REASONS.ERROR_REPORTED],
    ['[devnet:illegal]', ABORT_REASONS.RESULT_ILLEGAL],
  ] as const) {
    it(`sends "${reason}" on output 2 (prompt marker ${marker})`, async () => {
      const { node, seen, status } = await load();
      const crynux = await createdTask(await clientOf(), buildGptTaskArgs({ model: 'm/m', prompt: `hello ${marker}` }));
      node.receive({ crynux: { ...crynux, result: '0xstale', resultNode: 'stale' } });
      await waitUntil(() => seen.completed.length === 1, 30_000, 'complete');
      assert.equal(seen.ok.length, 0);
      assert.equal(seen.aborted.length, 1);
      const c = seen.aborted[0].crynux;
      assert.deepEqual([c.status, c.abortReason], ['aborted', reason]);
      assert.ok(!('result' in c) && !('resultNode' in c), 'fields of an earlier success are removed');
      assert.deepEqual(status.at(-1), { fill: 'yellow', shape: 'ring', text: 'crynux-await-result.status.aborted' });
      assert.deepEqual(pendingKeys(node), []);
    });
  }

  it('gives up after the timeout with reason "timeout" and leaves the task alone when not asked to cancel', async () => {
    const { node, seen } = await load({ timeout: '0.5', cancelOnTimeout: false });
    const crynux = await createdTask(await clientOf(), sd('nobody answers [devnet:stuck]'));
    node.receive({ crynux });
    await waitUntil(() => seen.completed.length === 1, 30_000, 'complete');
    const c = seen.aborted[0].crynux;
    assert.deepEqual([c.status, c.abortReason, c.cancelTxHash], ['aborted', 'timeout', undefined]);
    const client = await clientOf();
    assert.equal((await client.getTaskInfo(crynux.taskId as string)).state, 'running', 'the task still runs on chain');
    // Free the three workers for the next tests.
    await devnet.increaseTime(DEADLINE_S + 1);
    await client.cancelTask(crynux.taskId as string);
  });

  it('on timeout with cancel: waits for the contract deadline, cancels, refunds, then sends "timeout"', async () => {
    const { node, seen } = await load({ timeout: '0.2', cancelOnTimeout: true });
    const client = await clientOf();
    const before = await client.getBalance();
    const crynux = await createdTask(client, sd('nobody answers [devnet:stuck]'));
    node.receive({ crynux });
    await sleep(1000);
    assert.equal(seen.aborted.length, 0, `no timeout before the contract allows the cancel: ${JSON.stringify(seen.aborted[0]?.crynux)}`);
    await devnet.increaseTime(DEADLINE_S + 1);
    await waitUntil(() => seen.completed.length === 1, 30_000, 'complete');
    const c = seen.aborted[0].crynux;
    assert.deepEqual([c.status, c.abortReason], ['aborted', 'timeout']);
    assert.match(c.cancelTxHash, /^0x[0-9a-f]{64}$/);
    const spent = before - (await client.getBalance());
    assert.ok(spent < FEE_WEI / 10n, `the fee came back; only gas was spent (${spent} wei)`);
  });

  it('fails a msg without crynux.taskId with done(err) for Catch nodes, naming the field', async () => {
    const { node, seen, status } = await load();
    node.receive({ payload: 1, crynux: { taskType: 0 } });
    await waitUntil(() => seen.caught.length === 1, 5_000, 'catch');
    const err = seen.caught[0].error;
    assert.match(err.message, /msg\.crynux\.taskId is missing/);
    assert.match(err.message, /crynux-create-task/);
    await sleep(50);
    assert.equal(seen.completed.length, 0);
    assert.equal(seen.ok.length + seen.aborted.length, 0);
    assert.deepEqual(status.at(-1)?.fill, 'red');
    assert.deepEqual(pendingKeys(node), []);
  });

  it('with a bad "timeout" setting refuses every msg, naming the setting, instead of waiting with the default', async () => {
    const { node, seen, status } = await load({ timeout: '-3' });
    node.receive({ crynux: { taskId: '1' } });
    await waitUntil(() => seen.caught.length === 1, 5_000, 'catch');
    const err = seen.caught[0].error;
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.message, 'ConfigError: Setting "timeout" must be a number of seconds greater than 0 and at most 2147483 (24 days)');
    assert.equal(status.at(-1)?.fill, 'red');
    assert.deepEqual(pendingKeys(node), [], 'nothing was stored to wait for');
  });

  it('fails every msg with a CONFIG error when no network is selected', async () => {
    const { node, seen, status } = await load({ crynux: '' });
    assert.equal(status.length ? status[0].fill : 'red', 'red');
    node.receive({ crynux: { taskId: '1' } });
    await waitUntil(() => seen.caught.length === 1, 5_000, 'catch');
    assert.equal(seen.caught[0].error.code, 'CONFIG');
    assert.match(seen.caught[0].error.message, /Network/);
  });

  it('shows how many tasks it waits for and delivers each of several msgs once', async () => {
    const { node, seen, status } = await load();
    const client = await clientOf();
    const tasks = await Promise.all(['one', 'two', 'three'].map((p) => createdTask(client, sd(`${p} [devnet:slow=500]`))));
    tasks.forEach((crynux, i) => node.receive({ i, crynux }));
    await waitUntil(() => seen.completed.length === 3, 30_000, 'three completes');
    await sleep(100);
    assert.deepEqual(seen.ok.map((m) => m.i).sort(), [0, 1, 2]);
    assert.ok(status.some((s) => s.text === 'crynux-await-result.status.waitingMany'), JSON.stringify(status));
    assert.deepEqual(status.at(-1), { fill: 'green', shape: 'dot', text: 'crynux-await-result.status.success' });
  });

  it('on a full redeploy mid-wait: the new node resumes the msg and delivers it once', async () => {
    const unhandled = watchUnhandled();
    try {
      const { node, seen } = await load();
      const crynux = await createdTask(await clientOf(), sd('slow one [devnet:slow=1500]'));
      node.receive({ payload: Buffer.from('kept'), crynux });
      await waitUntil(() => pendingKeys(node).length === 1, 5_000, 'pending entry');
      await helper.setFlows(flow({ name: 'redeployed' }), 'full', configCredentials(devnet.appPrivateKey));
      const again = helper.getNode('a');
      assert.notEqual(again, node);
      const ok: any[] = [];
      helper.getNode('ok').on('input', (m: any) => ok.push(m));
      await waitUntil(() => ok.length === 1, 30_000, 'resumed output');
      assert.equal(seen.ok.length, 0, 'the closed instance sent nothing');
      assert.ok(Buffer.isBuffer(ok[0].payload) && ok[0].payload.toString() === 'kept', 'Buffers survive the snapshot');
      assert.deepEqual([ok[0].crynux.status, ok[0].crynux.taskId], ['success', crynux.taskId]);
      assert.deepEqual(pendingKeys(again), []);
      assert.deepEqual(unhandled.errors, []);
    } finally {
      unhandled.stop();
    }
  });

  it('when only this node is redeployed: the old msg is done() once without an error, its outcome sent once', async () => {
    const unhandled = watchUnhandled();
    try {
      const { node, seen, listen } = await load();
      const crynux = await createdTask(await clientOf(), sd('slow two [devnet:slow=1500]'));
      // The handler itself, to see its done(): a deploy may restart the Complete node, which then misses it.
      const done = sinon.spy();
      const send = sinon.spy();
      node._inputCallback({ topic: 'edited mid-wait', crynux }, send, done);
      await waitUntil(() => pendingKeys(node).length === 1, 5_000, 'pending entry');
      await helper.setFlows(flow({ name: 'edited', timeout: '40' }), 'nodes', configCredentials(devnet.appPrivateKey));
      listen();
      assert.notEqual(helper.getNode('a'), node);
      await waitUntil(() => seen.ok.length === 1, 30_000, 'resumed output');
      await sleep(100);
      assert.equal(seen.ok.length, 1);
      assert.equal(seen.ok[0].topic, 'edited mid-wait');
      assert.equal(done.callCount, 1, 'done() once for the original msg');
      assert.deepEqual(done.firstCall.args, [], 'without an error: a Catch-driven retry must not create the task again');
      assert.equal(send.callCount, 0, 'the closed instance sent nothing');
      assert.equal(seen.caught.length, 0);
      assert.deepEqual(unhandled.errors, []);
    } finally {
      unhandled.stop();
    }
  });

  describe('with a persistent context store (localfilesystem)', function () {
    let dir: string;
    // The helper does not load settings.contextStorage; this "module" does it before the flows start.
    const loadContext = () => helper._context.load();

    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-ctx-'));
      helper.settings({ contextStorage: { file: { module: 'localfilesystem', config: { dir, cache: false } } } });
    });
    // After the outer afterEach has unloaded the flows (and cleaned the store).
    after(() => {
      helper.settings({});
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Stop like a crashed or restarted process: no context clean-up, nothing kept in memory. */
    async function stopProcess() {
      const clean = sinon.stub(helper._context, 'clean').resolves();
      try {
        await helper.unload();
      } finally {
        clean.restore();
      }
      handover.clear();
      await helper._context.close();
    }

    async function startProcess(settings: Record<string, unknown>) {
      await helper.load([...modules, loadContext], flow(settings), configCredentials(devnet.appPrivateKey));
      const ok: any[] = [];
      helper.getNode('ok').on('input', (m: any) => ok.push(m));
      return { node: helper.getNode('a'), ok };
    }

    it('a task pending before a restart is delivered exactly once after it, even if it finished meanwhile', async () => {
      const settings = { store: 'file' };
      const first = await startProcess(settings);
      const crynux = await createdTask(await clientOf(), sd('across a restart [devnet:slow=1000]'));
      first.node.receive({ topic: 'before restart', crynux });
      await waitUntil(() => fs.readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.json')), 5_000, 'context file');
      await stopProcess();
      assert.equal(first.ok.length, 0, 'still pending when the process stopped');
      // The task finishes while nothing watches it: the resumed wait must find the old event.
      await devnet.relay.waitFor(() => (devnet.relay.getTask(crynux.taskId as string)?.status ?? 0) >= 3, 30_000);

      const second = await startProcess(settings);
      await waitUntil(() => second.ok.length >= 1, 30_000, 'output after the restart');
      for (let i = 0; (await pendingKeysAsync(second.node)).length > 0; i++) {
        assert.ok(i < 100, 'the delivered entry is removed from the store');
        await sleep(50);
      }
      assert.equal(second.ok.length, 1);
      assert.equal(second.ok[0].topic, 'before restart');
      assert.equal(second.ok[0].crynux.status, 'success');

      // Once delivered, a further restart has nothing to resume.
      await stopProcess();
      const third = await startProcess(settings);
      assert.deepEqual(await pendingKeysAsync(third.node), []);
    });
  });
});
