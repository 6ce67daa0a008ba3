/**
 * Handing a store from a closed client to its successor (a redeploy): the tracker's close()
 * lets the writes already queued land and refuses every later one, because each write
 * replaces the whole record map and a late one would wipe the successor's records (e.g. the
 * hash of a transaction it just sent). And the per-key serialisation of createTask calls.
 */
import assert from 'node:assert/strict';
import { MemoryStore } from '../../lib/tracker/stores';
import { TaskTracker } from '../../lib/tracker/tracker';
import { PerKeySerial } from '../../lib/tracker/per-key';
import type { CrynuxError } from '../../lib/errors';
import { HeldStore, settledNow } from '../helpers/held-store';

describe('TaskTracker.close(): a closed client writes nothing more', () => {
  it('resolves only once the write in progress has landed', async () => {
    const store = new HeldStore();
    const t = new TaskTracker(store);
    store.holdNextWrite();
    const put = t.put('job', { txHash: '0xaa', txNonce: 3, rawTx: '0x01' });
    await store.reached;
    const closing = t.close();
    assert.equal(await settledNow(closing), false, 'close() waits for the held write');
    store.release();
    await closing;
    assert.equal((await put).txHash, '0xaa');
    assert.equal((await new TaskTracker(store.inner).get('job'))?.txHash, '0xaa', 'the record landed before close() resolved');
  });

  it('refuses later writes with CLOSED, leaving the store to the successor', async () => {
    const store = new MemoryStore();
    const old = new TaskTracker(store);
    await old.put('job-1', { stage: 'created' });
    await old.close();
    const next = new TaskTracker(store);
    await next.put('job-2', { txHash: '0xbb', txNonce: 7, rawTx: '0x02' });

    for (const late of [old.put('job-1', { stage: 'late' }), old.remove('job-2'), old.remove('job-1')]) {
      const err = (await late.then(() => assert.fail('a closed tracker must refuse writes'), (e: CrynuxError) => e));
      assert.equal(err.code, 'CLOSED');
      assert.match(err.message, /The client is closed: .*"job-[12]"/);
    }
    await old.recordEvent('12', { outcome: { status: 'aborted', taskId: '12', abortReason: 'Task Cancelled' } });
    await old.cursorStore().save({ block: 99, covered: [] });

    const seen = await next.list();
    assert.deepEqual(seen.map((r) => [r.key, r.stage, r.txHash]).sort(), [['job-1', 'created', undefined], ['job-2', undefined, '0xbb']]);
    assert.equal(await next.cursorStore().load(), undefined, 'no cursor written after close');
    assert.equal((await old.get('job-2'))?.txHash, '0xbb', 'reads still work');
  });

  it('a write queued before close() still lands; one asked for after it does not', async () => {
    const store = new HeldStore();
    const t = new TaskTracker(store);
    store.holdNextWrite();
    const first = t.put('a', { stage: 'one' });
    const second = t.put('b', { stage: 'two' }); // queued behind the held write
    await store.reached;
    const closing = t.close();
    const third = t.put('c', { stage: 'three' });
    store.release();
    await closing;
    await Promise.all([first, second]);
    await assert.rejects(third, { code: 'CLOSED' });
    assert.deepEqual((await new TaskTracker(store.inner).list()).map((r) => r.key).sort(), ['a', 'b']);
  });
});

describe('PerKeySerial: one call per key at a time', () => {
  it('runs calls with one key in order and other keys beside them', async () => {
    const s = new PerKeySerial();
    const log: string[] = [];
    let releaseFirst!: () => void;
    const first = s.run('k', async () => {
      log.push('k1 start');
      await new Promise<void>((r) => (releaseFirst = r));
      log.push('k1 end');
      return 1;
    });
    const second = s.run('k', async () => (log.push('k2'), 2));
    const other = s.run('x', async () => (log.push('x'), 3));
    assert.equal(await other, 3);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['k1 start', 'x'], 'the second call with k waits; x does not');
    releaseFirst();
    assert.deepEqual([await first, await second], [1, 2]);
    assert.deepEqual(log, ['k1 start', 'x', 'k1 end', 'k2']);
    await new Promise((r) => setImmediate(r));
    assert.equal(s.size, 0, 'nothing kept once all settled');
  });

  it('a failed call lets the next run; an aborted wait rejects without running and keeps the order', async () => {
    const s = new PerKeySerial();
    let releaseFirst!: () => void;
    const first = s.run('k', () => new Promise<never>((_, reject) => (releaseFirst = () => reject(new Error('boom')))));
    const ac = new AbortController();
    let ranAborted = false;
    const aborted = s.run('k', async () => (ranAborted = true), ac.signal);
    let thirdRan = false;
    const third = s.run('k', async () => (thirdRan = true));
    ac.abort();
    await assert.rejects(aborted, { code: 'CANCELLED' });
    await new Promise((r) => setImmediate(r));
    assert.equal(thirdRan, false, 'the third still waits for the first');
    releaseFirst();
    await assert.rejects(first, /boom/);
    assert.equal(await third, true);
    assert.equal(ranAborted, false);
  });
});
