/**
 * nodes/shared without a runtime: the Status helper (phases, in-flight counts), the input
 * runner (done exactly once, abort on close), msg.crynux field checks, dialog value parsing,
 * error mapping and config migrations.
 */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { AbortedError, ChainRevertError, RelayRejectedError, TaskArgsError, TimeoutError } from '../../lib/errors';
import {
  Status,
  carryOverFor,
  contextStore,
  forgetCarryOver,
  crynuxOf,
  handleInput,
  migrateConfig,
  optionalField,
  parseCnx,
  parseSeconds,
  parseWhole,
  redact,
  registerSecret,
  requireField,
  sharedKey,
  shortReason,
  toNodeError,
  type Node,
  type NodeStatus,
} from '../../nodes/shared';

const t = (key: string, params?: Record<string, unknown>) => (params ? `${key}${JSON.stringify(params)}` : key);

function statusTarget() {
  const calls: NodeStatus[] = [];
  return { calls, status: (s: NodeStatus) => calls.push(s) };
}

/** Just enough of a Node for handleInput: input/close events, send, error. */
function fakeNode() {
  const ee = new EventEmitter();
  const sent: unknown[] = [];
  const errors: unknown[] = [];
  const statuses: NodeStatus[] = [];
  const node = {
    id: 'n1',
    type: 'test',
    on: (ev: string, fn: (...a: any[]) => void) => ee.on(ev, fn),
    send: (m: unknown) => sent.push(m),
    error: (e: unknown) => errors.push(e),
    status: (s: NodeStatus) => statuses.push(s),
  } as unknown as Node;
  const input = (msg: object) =>
    new Promise<{ err?: Error; sent: unknown[] }>((resolve) => {
      const out: unknown[] = [];
      let calls = 0;
      ee.emit('input', msg, (m: unknown) => out.push(m), (err?: Error) => {
        calls += 1;
        assert.equal(calls, 1, 'done called more than once');
        resolve({ err, sent: out });
      });
    });
  const close = () => new Promise<void>((resolve) => ee.emit('close', false, resolve));
  return { node, input, close, sent, errors, statuses };
}

describe('nodes/shared', () => {
  describe('Status', () => {
    it('shows blue while working, yellow while waiting and green when done', () => {
      const target = statusTarget();
      const status = new Status(target, t);
      const job = status.begin();
      job.working('x.sending');
      job.waiting('x.confirming');
      job.succeed('x.created', { taskId: '7' });
      assert.deepEqual(target.calls, [
        { fill: 'blue', shape: 'dot', text: 'x.sending' },
        { fill: 'yellow', shape: 'dot', text: 'x.confirming' },
        { fill: 'green', shape: 'dot', text: 'x.created{"taskId":"7"}' },
      ]);
    });

    it('shows a network problem as a yellow ring while msgs are in flight, then the phase again', () => {
      const target = statusTarget();
      const status = new Status(target, t);
      status.setProblem('RPC problem: down');
      assert.equal(target.calls.length, 0, 'nothing in flight: the idle status stays');
      const job = status.begin();
      job.waiting('x.waiting');
      assert.deepEqual(target.calls.at(-1), { fill: 'yellow', shape: 'ring', text: 'RPC problem: down' });
      status.setProblem(undefined);
      assert.deepEqual(target.calls.at(-1), { fill: 'yellow', shape: 'dot', text: 'x.waiting' });
      job.succeed('x.done');
      assert.equal(target.calls.at(-1)?.fill, 'green');
    });

    it('uses the shared "done" text when no key is given', () => {
      const target = statusTarget();
      const status = new Status(target, t);
      status.begin().succeed();
      assert.equal(target.calls[0].text, sharedKey('status.done'));
    });

    it('counts msgs in flight and never says done while another msg still works', () => {
      const target = statusTarget();
      const status = new Status(target, t);
      const a = status.begin();
      const b = status.begin();
      a.working('x.sending');
      b.working('x.sending');
      assert.equal(target.calls.at(-1)?.text, 'x.sending (2)');
      a.succeed('x.created');
      assert.deepEqual(target.calls.at(-1), { fill: 'blue', shape: 'dot', text: 'x.sending' });
      b.waiting('x.confirming');
      b.succeed('x.created');
      assert.deepEqual(target.calls.at(-1), { fill: 'green', shape: 'dot', text: 'x.created' });
      assert.equal(status.inFlight, 0);
    });

    it('shows a red ring with a short reason on error, with the count of msgs still working', () => {
      const target = statusTarget();
      const status = new Status(target, t);
      const a = status.begin();
      const b = status.begin();
      a.working('x.a');
      b.working('x.b');
      a.fail(new ChainRevertError('Invalid task type'));
      assert.deepEqual(target.calls.at(-1), {
        fill: 'red',
        shape: 'ring',
        text: `${sharedKey('errors.CHAIN_REVERT')}: Invalid task type (1)`,
      });
      b.fail(new TimeoutError('slow'));
      assert.equal(target.calls.at(-1)?.text, sharedKey('errors.TIMEOUT'));
    });

    it('ignores updates after a job finished and after close', () => {
      const target = statusTarget();
      const status = new Status(target, t);
      const a = status.begin();
      a.succeed();
      a.working('x.late');
      a.fail(new Error('late'));
      const b = status.begin();
      status.close();
      b.working('x.after-close');
      b.succeed();
      assert.deepEqual(target.calls.at(-1), {}, 'close clears the status');
      assert.equal(target.calls.length, 2);
    });
  });

  describe('handleInput', () => {
    it('sends the returned msg and calls done once without error', async () => {
      const { node, input, statuses } = fakeNode();
      handleInput(node, new Status(node, t), async ({ msg, job }) => {
        job.working('x.work');
        return { ...msg, payload: 2 };
      });
      const r = await input({ payload: 1 });
      assert.equal(r.err, undefined);
      assert.deepEqual(r.sent, [{ payload: 2 }]);
      assert.deepEqual(statuses.at(-1), { fill: 'green', shape: 'dot', text: sharedKey('status.done') });
    });

    it('turns a thrown error into a red ring and done(err) with the same error', async () => {
      const { node, input, statuses } = fakeNode();
      const boom = new RelayRejectedError(400, 'Task hash mismatch');
      handleInput(node, new Status(node, t), async () => {
        throw boom;
      });
      const r = await input({});
      assert.equal(r.err, boom);
      assert.equal(r.sent.length, 0);
      assert.equal(statuses.at(-1)?.fill, 'red');
      assert.ok(statuses.at(-1)?.text?.endsWith('Task hash mismatch'));
    });

    it('reports errors of synthetic inputs (no done) through node.error', async () => {
      const { node, errors } = fakeNode();
      const run = handleInput(node, new Status(node, t), async () => {
        throw new TaskArgsError('bad');
      });
      run({});
      await new Promise((r) => setImmediate(r));
      assert.equal(errors.length, 1);
    });

    it('aborts work in flight on close, calls its done once with an error, then finishes close', async () => {
      const { node, input, close, statuses } = fakeNode();
      let seen: AbortSignal | undefined;
      handleInput(node, new Status(node, t), ({ signal }) => {
        seen = signal;
        return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      });
      const pending = input({});
      await new Promise((r) => setImmediate(r));
      const before = statuses.length;
      await close();
      const r = await pending;
      assert.ok(seen?.aborted);
      assert.ok(r.err instanceof AbortedError);
      assert.deepEqual(statuses.slice(before), [{}], 'close clears the status; nothing after it');
      const late = await input({});
      assert.ok(late.err instanceof AbortedError, 'msgs arriving after close fail at once');
    });
  });

  describe('msg.crynux fields', () => {
    it('creates msg.crynux when absent and rejects a non-object', () => {
      const msg: Record<string, unknown> = {};
      assert.deepEqual(crynuxOf(msg), {});
      assert.throws(() => crynuxOf({ crynux: [] }), /msg\.crynux must be an object/);
    });

    it('names a missing field and the node that sets it', () => {
      assert.throws(() => requireField({}, 'taskId', 'crynux-create-task'), (err: Error) => {
        assert.ok(err instanceof TaskArgsError);
        assert.match(err.message, /msg\.crynux\.taskId is missing \(set by crynux-create-task\)/);
        return true;
      });
    });

    it('names a bad field, what was expected and what it got', () => {
      assert.throws(() => requireField({ crynux: { cap: 0 } }, 'cap'), /msg\.crynux\.cap must be a whole number, at least 1.*got 0/);
      assert.throws(() => requireField({ crynux: { taskType: 2 } }, 'taskType'), /msg\.crynux\.taskType must be 0 \(Stable Diffusion\) or 1/);
      assert.throws(() => requireField({ crynux: { taskFee: '-1' } }, 'taskFee'), /msg\.crynux\.taskFee must be a fee in wei/);
      assert.throws(() => requireField({ crynux: { taskHash: '0x12' } }, 'taskHash'), /taskHash/);
    });

    it('normalises ids and fees to decimal strings', () => {
      assert.equal(requireField({ crynux: { taskId: 42 } }, 'taskId'), '42');
      assert.equal(requireField({ crynux: { taskId: 42n } }, 'taskId'), '42');
      assert.equal(optionalField({ crynux: { taskFee: '0100' } }, 'taskFee'), '100');
      assert.equal(optionalField({ crynux: {} }, 'taskFee'), undefined);
      assert.throws(() => requireField({ crynux: { taskId: '0' } }, 'taskId'), /positive/);
    });
  });

  describe('dialog values', () => {
    it('parses CNX amounts to wei and rejects negative or non-numeric text', () => {
      assert.equal(parseCnx('1.5', 'fee'), 1_500_000_000_000_000_000n);
      assert.equal(parseCnx('.25', 'fee'), 250_000_000_000_000_000n);
      assert.equal(parseCnx(' 0 ', 'fee'), 0n);
      for (const bad of ['-1', 'abc', '', '1e3', '0.0000000000000000001']) {
        assert.throws(() => parseCnx(bad, 'Setting "fee"'), /Setting "fee" must be an amount of CNX/, bad);
      }
    });

    it('parses whole numbers and seconds with ranges named in the error', () => {
      assert.equal(parseWhole('', 'x', 0, 5, 3), 3);
      assert.equal(parseWhole(' 4 ', 'x', 0, 5), 4);
      assert.throws(() => parseWhole('6', 'Confirmations', 0, 5), /Confirmations must be a whole number from 0 to 5/);
      assert.equal(parseSeconds('1.5', 't', 9), 1500);
      assert.equal(parseSeconds('', 't', 9), 9000);
      assert.throws(() => parseSeconds('0', 'Setting "timeout"', 9), /Setting "timeout" must be a number of seconds/);
    });
  });

  describe('errors', () => {
    it('labels lib errors by code and keeps the decisive detail', () => {
      assert.equal(shortReason(new ChainRevertError('Task queue is full'), t), `${sharedKey('errors.CHAIN_REVERT')}: Task queue is full`);
      assert.equal(
        shortReason(new TaskArgsError('x', [{ path: 'task_config.steps', message: 'too big' }]), t),
        `${sharedKey('errors.TASK_ARGS')}: task_config.steps`,
      );
      assert.equal(shortReason(new Error('plain failure\nmore'), t), `${sharedKey('errors.UNKNOWN')}: plain failure`);
      assert.ok(shortReason(new Error('x'.repeat(200)), t).length < 120);
    });

    it('scrubs a registered private key from anything surfaced', () => {
      const key = 'ab'.repeat(32);
      const forget = registerSecret(`0x${key}`);
      try {
        assert.equal(redact(`key 0x${key} and ${key.toUpperCase()}`), 'key [redacted] and [redacted]');
        const err = toNodeError(new Error(`bad ${key}`));
        assert.equal(err.message, 'bad [redacted]');
        const clean = new Error('fine');
        assert.equal(toNodeError(clean), clean, 'clean errors pass through unchanged');
      } finally {
        forget();
      }
      assert.equal(redact(key), key);
    });
  });

  describe('config versions', () => {
    it('stamps version 1 on configs saved without one and keeps the settings', () => {
      assert.deepEqual(migrateConfig('crynux-create-task', { fee: '1' }), { fee: '1', version: 1 });
      assert.deepEqual(migrateConfig('crynux-create-task', { fee: '1', version: 1 }), { fee: '1', version: 1 });
    });
  });

  describe('contextStore', () => {
    it('maps get/set onto a Node-RED context store with a key prefix and store name', async () => {
      const data = new Map<string, unknown>();
      const stores: (string | undefined)[] = [];
      const store = contextStore(
        {
          get: (k, s, cb) => (stores.push(s), cb(null, data.get(k))),
          set: (k, v, s, cb) => (stores.push(s), data.set(k, v), cb()),
        },
        'disk',
      );
      await store.set('tasks', { a: 1 });
      assert.deepEqual(await store.get('tasks'), { a: 1 });
      assert.deepEqual([...data.keys()], ['crynux:tasks']);
      assert.deepEqual(stores, ['disk', 'disk']);
    });

    it('keeps a mirror per node id that outlives a wiped context (redeploy without a store)', async () => {
      let data = new Map<string, unknown>();
      const ctx = {
        get: (k: string, _s: string | undefined, cb: (e: Error | null, v: unknown) => void) => cb(null, data.get(k)),
        set: (k: string, v: unknown, _s: string | undefined, cb: () => void) => (data.set(k, v), cb()),
      };
      await contextStore(ctx, undefined, 'crynux:', carryOverFor('cfg-1')).set('tasks', { a: 1 });
      data = new Map(); // Node-RED deleted the node's context on close
      const next = contextStore(ctx, undefined, 'crynux:', carryOverFor('cfg-1'));
      assert.deepEqual(await next.get('tasks'), { a: 1 });
      data.set('crynux:tasks', { fromDisk: true });
      assert.deepEqual(await next.get('tasks'), { fromDisk: true }, 'a persistent context wins');
      forgetCarryOver('cfg-1');
      data = new Map();
      assert.equal(await contextStore(ctx, undefined, 'crynux:', carryOverFor('cfg-1')).get('tasks'), undefined);
    });
  });
});
