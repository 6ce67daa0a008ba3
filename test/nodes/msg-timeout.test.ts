/**
 * msg.timeout: a per-msg override of the Timeout setting of crynux-upload-params,
 * crynux-await-result and crynux-fetch-result (as core's http request node takes
 * msg.requestTimeout). The override ends that msg's wait in its own timeout, applies to that
 * msg only, is checked before anything happens, and a msg resumed by await-result keeps the
 * deadline it was accepted with. Outcomes are asserted, never durations.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { Devnet } from '../../devnet';
import type { CrynuxClient } from '../../lib/client';
import { TaskArgsError } from '../../lib/errors';
import { buildSdTaskArgs, type BuiltTask } from '../../lib/task-args';
import { MAX_SECONDS, timeoutFor } from '../../nodes/shared';
import { catchFlow, helper, nodeModule, onTab, recordStatus, waitUntil, type StatusCall, useDevnet } from './node-helpers';
import { clientOf, configCredentials, configNode, createdTask, sleep, watchUnhandled, FEE_WEI } from '../e2e/devnet-flow';

const EXPECTED = `a number of seconds greater than 0 and at most ${MAX_SECONDS} (24 days)`;

describe('msg.timeout (timeoutFor)', () => {
  it('is absent (undefined or null): the setting applies', () => {
    assert.equal(timeoutFor({}, 20_000), 20_000);
    assert.equal(timeoutFor({ timeout: undefined }, 20_000), 20_000);
    assert.equal(timeoutFor({ timeout: null }, 20_000), 20_000);
  });

  it('seconds as a number or numeric string replace the setting, in ms', () => {
    assert.equal(timeoutFor({ timeout: 2 }, 20_000), 2000);
    assert.equal(timeoutFor({ timeout: 0.25 }, 20_000), 250);
    assert.equal(timeoutFor({ timeout: ' 2.5 ' }, 20_000), 2500);
    assert.equal(timeoutFor({ timeout: 3600 }, 1000), 3_600_000, 'longer than the setting is fine too');
    assert.equal(timeoutFor({ timeout: MAX_SECONDS }, 1000), MAX_SECONDS * 1000);
    assert.equal(timeoutFor({ timeout: 0.0001 }, 1000), 1, 'greater than 0 never rounds to "no time at all"');
  });

  for (const [bad, shown] of [
    [-5, '-5'],
    [0, '0'],
    [MAX_SECONDS + 1, String(MAX_SECONDS + 1)],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    ['soon', '"soon"'],
    ['', '""'],
    ['  ', '"  "'],
    [true, 'true'],
    [{ s: 5 }, '{"s":5}'],
    [[5], '[5]'],
  ] as const) {
    it(`refuses ${shown}, naming msg.timeout and what was expected`, () => {
      assert.throws(
        () => timeoutFor({ timeout: bad }, 20_000),
        (err: unknown) => {
          assert.ok(err instanceof TaskArgsError);
          assert.equal(err.message, `msg.timeout must be ${EXPECTED}, got ${shown}`);
          assert.equal(err.code, 'TASK_ARGS');
          assert.deepEqual(err.issues.map((i) => i.path), ['msg.timeout']);
          return true;
        },
      );
    });
  }
});

describe('msg.timeout in the step nodes (devnet)', function () {
  this.timeout(60_000);
  const DEADLINE_S = 60;
  const SETTING = { upload: 20, wait: 30, fetch: 30 };
  const modules = ['crynux-config', 'crynux-upload-params', 'crynux-await-result', 'crynux-fetch-result'].map(nodeModule);
  let devnet: Devnet;

  useDevnet({ workers: 3, taskTimeoutSeconds: DEADLINE_S }, (d) => (devnet = d));
  afterEach(async () => {
    sinon.restore();
    // A test that failed half-way leaves its task holding the workers the next test needs.
    if (held.size) {
      const client = await clientOf().catch(() => undefined);
      for (const taskId of held) if (client) await release(client, taskId).catch(() => held.delete(taskId));
    }
    await helper.unload();
  });

  function flow(waitTimeout = String(SETTING.wait)): object[] {
    const step = { name: '', version: 1, crynux: 'cfg' };
    return onTab([
      configNode(devnet),
      { id: 'u', type: 'crynux-upload-params', ...step, timeout: String(SETTING.upload), wires: [['uploaded']] },
      { id: 'a', type: 'crynux-await-result', ...step, timeout: waitTimeout, cancelOnTimeout: false, store: '', wires: [['ok'], ['aborted']] },
      { id: 'f', type: 'crynux-fetch-result', ...step, timeout: String(SETTING.fetch), output: 'array', parallel: '4', maxSize: '32', wires: [['fetched']] },
      ...['uploaded', 'ok', 'aborted', 'fetched'].map((id) => ({ id, type: 'helper' })),
      { id: 'cmp', type: 'complete', scope: ['u', 'a', 'f'], uncaught: false, wires: [['completed']] },
      { id: 'completed', type: 'helper' },
      ...catchFlow('catcher', 'caught', ['u', 'a', 'f']),
    ]);
  }

  type Seen = Record<'uploaded' | 'ok' | 'aborted' | 'fetched' | 'completed' | 'caught', any[]>;

  async function load() {
    await helper.load(modules, flow(), configCredentials(devnet.appPrivateKey));
    const seen: Seen = { uploaded: [], ok: [], aborted: [], fetched: [], completed: [], caught: [] };
    for (const k of Object.keys(seen) as Array<keyof Seen>) helper.getNode(k).on('input', (m: any) => seen[k].push(m));
    return { u: helper.getNode('u'), a: helper.getNode('a'), f: helper.getNode('f'), seen };
  }

  const sent = (seen: Seen) => seen.uploaded.length + seen.ok.length + seen.aborted.length + seen.fetched.length;

  /** await-result's pending entries (key → stored deadline), read from its context. */
  function pending(node: any): Map<string, number> {
    const ctx = node.context();
    const keys = (ctx.keys() as string[]).filter((k) => k.startsWith('pendingTask_'));
    return new Map(keys.map((k) => [k, (ctx.get(k) as { deadline: number }).deadline]));
  }

  function sd(prompt: string): BuiltTask {
    return buildSdTaskArgs({ prompt, numImages: 1, width: 64, height: 64 });
  }

  /** Stuck or never uploaded tasks hold all three workers until cancelled. */
  const held = new Set<string>();
  function holding(taskId: string): void {
    held.add(taskId);
  }

  /** Frees the workers: cancel once the task's deadline has passed. */
  async function release(client: CrynuxClient, taskId: string): Promise<void> {
    await devnet.increaseTime(DEADLINE_S + 1);
    await client.cancelTask(taskId);
    held.delete(taskId);
  }

  it('a bad msg.timeout fails the msg in every step node: done(err) naming it, red ring, nothing sent or stored', async () => {
    const { u, a, f, seen } = await load();
    const statuses = new Map<string, StatusCall[]>([u, a, f].map((n) => [n.id, recordStatus(n)]));
    const inputs: Array<[any, Record<string, unknown>]> = [
      [u, { taskId: '1', taskArgs: '{}' }],
      [a, { taskId: '1', blockNumber: 1 }],
      [f, { taskId: '1', taskType: 0, status: 'success', result: '0x00' }],
    ];
    const bad: Array<[unknown, string]> = [[-5, '-5'], ['soon', '"soon"'], [0, '0'], [MAX_SECONDS + 1, String(MAX_SECONDS + 1)]];
    for (const [node, crynux] of inputs) {
      for (const [timeout, shown] of bad) {
        const before = seen.caught.length;
        node.receive({ payload: 'p', timeout, crynux: { ...crynux } });
        await waitUntil(() => seen.caught.length > before, 5_000, `catch (${node.type}, ${shown})`);
        const got = seen.caught.at(-1);
        assert.equal(got.error.source.id, node.id);
        assert.equal(got.error.code, 'TASK_ARGS');
        assert.equal(got.error.message, `TaskArgsError: msg.timeout must be ${EXPECTED}, got ${shown}`);
        assert.deepEqual(got.crynux, crynux, `${node.type}: the msg is as it came, nothing half-built`);
        assert.equal(got.timeout, timeout);
        const last = statuses.get(node.id)?.at(-1);
        assert.deepEqual([last?.fill, last?.shape], ['red', 'ring']);
        assert.match(last?.text ?? '', /msg\.timeout$/);
      }
    }
    await sleep(100);
    assert.equal(seen.caught.length, inputs.length * bad.length, 'one error per msg');
    assert.equal(sent(seen), 0, 'nothing was sent');
    assert.equal(seen.completed.length, 0, 'done(err), never done()');
    assert.deepEqual(pending(a), new Map(), 'await-result stored nothing to wait for');
  });

  it('upload-params: a shorter override ends the retries in its timeout; the next msg without one uses the setting', async () => {
    const { u, seen } = await load();
    const client = await clientOf();
    const uploads = sinon.spy(client, 'uploadTaskArgs');
    const built = sd('uploaded late [devnet:stuck]');

    // No such task on chain: the relay keeps answering "Task not found on the Blockchain", a retried answer.
    u.receive({ timeout: '0.3', crynux: { ...built, taskId: '999999' } });
    await waitUntil(() => seen.caught.length === 1, 20_000, 'catch');
    assert.equal(seen.caught[0].error.code, 'TIMEOUT');
    assert.match(seen.caught[0].error.message, /Task not found on the Blockchain/);
    assert.equal(seen.uploaded.length, 0);

    const created = await client.createTask({ ...built, taskFee: FEE_WEI });
    holding(created.taskId);
    u.receive({ crynux: { ...built, ...created } });
    await waitUntil(() => seen.completed.length === 1, 20_000, 'complete');
    assert.equal(seen.uploaded.length, 1);
    assert.equal(typeof seen.uploaded[0].crynux.uploadedAt, 'string');
    assert.equal(seen.caught.length, 1);
    assert.deepEqual(
      uploads.getCalls().map((c) => c.args[2]?.timeoutMs),
      [300, SETTING.upload * 1000],
      'the override for the first msg only',
    );
    await release(client, created.taskId);
  });

  it('await-result: a shorter override ends the wait with reason "timeout"; the next msg without one waits with the setting', async () => {
    const { a, seen } = await load();
    const client = await clientOf();
    const crynux = await createdTask(client, sd('nobody answers [devnet:stuck]'));
    holding(crynux.taskId as string);

    a.receive({ n: 1, timeout: 0.5, crynux: { ...crynux } });
    await waitUntil(() => seen.aborted.length === 1, 20_000, 'timeout of msg 1');
    assert.deepEqual([seen.aborted[0].n, seen.aborted[0].crynux.status, seen.aborted[0].crynux.abortReason], [1, 'aborted', 'timeout']);

    const acceptedFrom = Date.now();
    a.receive({ n: 2, crynux: { ...crynux } });
    const stored = await waitUntil(() => (pending(a).size === 1 ? [...pending(a).values()] : undefined), 5_000, 'msg 2 stored');
    const acceptedBy = Date.now();
    // deadline = accept time + timeout: from the setting, not from the msg before.
    assert.ok(stored[0] >= acceptedFrom + SETTING.wait * 1000 && stored[0] <= acceptedBy + SETTING.wait * 1000, `deadline ${stored[0]}`);

    // Still waiting when the task really ends: msg 2 gets the chain's outcome, not "timeout".
    await release(client, crynux.taskId as string);
    await waitUntil(() => seen.aborted.length === 2, 20_000, 'outcome of msg 2');
    assert.deepEqual([seen.aborted[1].n, seen.aborted[1].crynux.abortReason], [2, 'Task Cancelled']);
    assert.equal(seen.ok.length + seen.caught.length, 0);
    assert.equal(seen.completed.length, 2);
  });

  it('await-result: a msg resumed after a redeploy keeps the deadline its msg.timeout gave it', async () => {
    const unhandled = watchUnhandled();
    try {
      const { a } = await load();
      const client = await clientOf();
      // On the prototype: a redeploy may give the config node a new client.
      const waits = sinon.spy(Object.getPrototypeOf(client) as CrynuxClient, 'waitForOutcome');
      const crynux = await createdTask(client, sd('resumed [devnet:stuck]'));
      holding(crynux.taskId as string);
      const acceptedFrom = Date.now();
      a.receive({ topic: 'long wait', timeout: 300, crynux });
      await waitUntil(() => waits.callCount === 1, 5_000, 'waiting');
      const [deadline] = [...pending(a).values()];
      assert.ok(deadline >= acceptedFrom + 300_000, `stored with the deadline of the override (${deadline})`);

      // Redeployed with a setting shorter than what is left of that deadline.
      const redeployedAt = Date.now();
      await helper.setFlows(flow('20'), 'nodes', configCredentials(devnet.appPrivateKey));
      assert.notEqual(helper.getNode('a'), a);
      await waitUntil(() => waits.callCount === 2, 5_000, 'resumed wait');
      const resumedMs = waits.secondCall.args[1]?.timeoutMs ?? 0;
      // What is left of the stored deadline: neither the new 20 s setting nor the 30 s resume grace.
      assert.ok(resumedMs > 60_000 && resumedMs <= deadline - redeployedAt, `resumed with ${resumedMs} ms`);

      const aborted: any[] = [];
      helper.getNode('aborted').on('input', (m: any) => aborted.push(m));
      await release(await clientOf(), crynux.taskId as string);
      await waitUntil(() => aborted.length === 1, 20_000, 'resumed outcome');
      assert.deepEqual([aborted[0].topic, aborted[0].crynux.abortReason], ['long wait', 'Task Cancelled']);
      assert.deepEqual(unhandled.errors, []);
    } finally {
      unhandled.stop();
    }
  });

  it('fetch-result: a shorter override ends the wait for the upload in its timeout; the next msg without one uses the setting', async () => {
    const { f, seen } = await load();
    const status = recordStatus(f);
    const client = await clientOf();
    // TaskSuccess, but the result node never uploads: the relay keeps answering "Task results not uploaded".
    const crynux = await createdTask(client, sd('kept back [devnet:no-upload]'));
    holding(crynux.taskId as string);
    const outcome = await client.waitForOutcome(crynux.taskId as string, { fromBlock: crynux.blockNumber as number, timeoutMs: 30_000 });
    assert.equal(outcome.status, 'success', JSON.stringify(outcome));
    const success = { ...crynux, status: 'success', result: outcome.status === 'success' ? outcome.result : '' };
    const fetches = sinon.spy(client, 'fetchResults');

    f.receive({ n: 1, timeout: '0.5', crynux: { ...success } });
    await waitUntil(() => seen.caught.length === 1, 20_000, 'catch of msg 1');
    assert.equal(seen.caught[0].n, 1);
    assert.equal(seen.caught[0].error.code, 'TIMEOUT');

    f.receive({ n: 2, crynux: { ...success } });
    await waitUntil(() => status.at(-1)?.text === 'crynux-fetch-result.status.waitingUpload', 5_000, 'msg 2 waiting');
    // Still waiting when the task is cancelled: msg 2 ends with the abort, not a timeout.
    await release(client, crynux.taskId as string);
    await waitUntil(() => seen.caught.length === 2, 20_000, 'catch of msg 2');
    assert.equal(seen.caught[1].n, 2);
    assert.equal(seen.caught[1].error.code, 'TASK_ABORTED');
    assert.deepEqual(
      fetches.getCalls().map((c) => c.args[2]?.timeoutMs),
      [500, SETTING.fetch * 1000],
      'the override for the first msg only',
    );
    assert.equal(seen.fetched.length + seen.completed.length, 0);
  });
});
