/**
 * crynux-await-result's crash-safety bookkeeping without a runtime: what a msg snapshot keeps
 * and drops, and how entries are taken over by the next instance exactly once.
 */
import assert from 'node:assert/strict';
import { PendingTasks, handover, type PendingEntry } from '../../nodes/crynux-await-result.pending';
import { reviveMsg, snapshotMsg } from '../../nodes/shared';

/** Node-RED's context API shape (callbacks, a store name), over a Map. */
function mapContext(data = new Map<string, unknown>()) {
  return {
    data,
    get: (key: string, _store: string | undefined, cb: (err: Error | null, v?: unknown) => void) => setImmediate(() => cb(null, data.get(key))),
    set: (key: string, value: unknown, _store: string | undefined, cb: (err?: Error | null) => void) =>
      setImmediate(() => {
        if (value === undefined) data.delete(key);
        else data.set(key, JSON.parse(JSON.stringify(value)));
        cb(null);
      }),
    keys: (_store: string | undefined, cb: (err: Error | null, keys?: string[]) => void) => setImmediate(() => cb(null, [...data.keys()])),
  };
}

const fail = (err: Error) => {
  throw err;
};

const entry = (taskId: string, extra: Partial<PendingEntry> = {}): PendingEntry => ({
  taskId, deadline: 1_700_000_000_000, blockNumber: 7, msg: { _msgid: `m${taskId}`, crynux: { taskId } }, ...extra,
});

describe('crynux-await-result pending msgs', function () {
  afterEach(() => handover.clear());

  describe('snapshotMsg / reviveMsg', function () {
    it('keeps what JSON can hold and brings Buffers back', () => {
      const msg = { _msgid: 'a', payload: Buffer.from([1, 2, 3]), topic: 't', crynux: { taskId: '5', files: [Buffer.from('x')] }, n: 1.5 };
      const snap = snapshotMsg(msg);
      assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap, 'the snapshot is plain JSON');
      const back = reviveMsg(snap) as typeof msg;
      assert.ok(Buffer.isBuffer(back.payload) && back.payload.equals(msg.payload));
      assert.ok(Buffer.isBuffer(back.crynux.files[0]) && back.crynux.files[0].toString() === 'x');
      assert.deepEqual([back._msgid, back.topic, back.n, back.crynux.taskId], ['a', 't', 1.5, '5']);
    });

    it('drops req/res, functions and cycles; bigints become decimal strings; dates ISO strings', () => {
      const msg: Record<string, unknown> = {
        req: { socket: {} }, res: { end() {} }, fn: () => 1, big: 12345678901234567890n,
        when: new Date('2024-07-17T00:00:00Z'), list: [1, undefined, () => 2], nested: { ok: true },
      };
      (msg.nested as Record<string, unknown>).self = msg.nested;
      const snap = snapshotMsg(msg);
      assert.deepEqual(snap, { big: '12345678901234567890', when: '2024-07-17T00:00:00.000Z', list: [1, null, null], nested: { ok: true } });
    });

    it('keeps an object that appears twice (not a cycle) in both places', () => {
      const shared = { a: 1 };
      assert.deepEqual(snapshotMsg({ x: shared, y: shared }), { x: { a: 1 }, y: { a: 1 } });
    });
  });

  describe('PendingTasks', function () {
    it('stores each msg under its own key and forgets it on remove', async () => {
      const ctx = mapContext();
      const p = new PendingTasks('n1', ctx, undefined, fail);
      const k1 = await p.add(entry('1'));
      const k2 = await p.add(entry('1'));
      assert.notEqual(k1, k2, 'two msgs for one task do not share a key');
      assert.equal(ctx.data.size, 2);
      await p.remove(k1);
      assert.deepEqual([...ctx.data.keys()], [k2]);
    });

    it('a new instance takes over stored entries once; malformed values are skipped', async () => {
      const ctx = mapContext();
      const old = new PendingTasks('n1', ctx, undefined, fail);
      const key = await old.add(entry('9'));
      ctx.data.set('pendingTask_bad', { taskId: 9 });
      ctx.data.set('unrelated', 1);
      const next = new PendingTasks('n1', ctx, undefined, fail);
      const taken = await next.takeOver();
      assert.deepEqual(taken.map((t) => [t.key, t.entry.taskId]), [[key, '9']]);
    });

    it('entries handed over in memory (context wiped on close) are resumed, and only by the same node id', async () => {
      const first = new PendingTasks('n1', mapContext(), undefined, fail);
      const key = await first.add(entry('3'));
      first.handOver();
      assert.deepEqual(await new PendingTasks('other', mapContext(), undefined, fail).takeOver(), []);
      const next = new PendingTasks('n1', mapContext(), undefined, fail);
      assert.deepEqual((await next.takeOver()).map((t) => t.key), [key]);
      assert.deepEqual(await new PendingTasks('n1', mapContext(), undefined, fail).takeOver(), [], 'taken once');
    });

    it('an entry both handed over and stored is resumed once; msgs accepted meanwhile are not resumed', async () => {
      const ctx = mapContext();
      const first = new PendingTasks('n1', ctx, undefined, fail);
      const key = await first.add(entry('4'));
      first.handOver();
      const next = new PendingTasks('n1', ctx, undefined, fail);
      const own = next.add(entry('5')); // arrives while the take-over reads the store
      const taken = await next.takeOver();
      const ownKey = await own;
      assert.deepEqual(taken.map((t) => t.key), [key]);
      assert.ok(!taken.some((t) => t.key === ownKey));
    });

    it('a failing store is reported, and the msg is still kept for a hand-over', async () => {
      const problems: string[] = [];
      const broken = { ...mapContext(), set: (_k: string, _v: unknown, _s: string | undefined, cb: (err?: Error) => void) => cb(new Error('disk full')) };
      const p = new PendingTasks('n1', broken, 'file', (err) => problems.push(err.message));
      const key = await p.add(entry('8'));
      assert.deepEqual(problems, ['disk full']);
      p.handOver();
      assert.deepEqual(handover.get('n1')?.map((e) => e.key), [key]);
    });

    it('nothing is handed over when no msg is pending', async () => {
      const p = new PendingTasks('n1', mapContext(), undefined, fail);
      await p.remove(await p.add(entry('1')));
      p.handOver();
      assert.equal(handover.size, 0);
    });
  });
});
