/**
 * Persistence for crash safety (ARCHITECTURE "Crash safety"): the stores and the task
 * tracker's records and cursor.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JsonFileStore, MemoryStore } from '../../lib/tracker/stores';
import { TaskTracker } from '../../lib/tracker/tracker';
import { TaskArgsError } from '../../lib/errors';

describe('tracker stores', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-tracker-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('MemoryStore hands out copies, and undefined deletes', async () => {
    const s = new MemoryStore();
    const v = { a: [1] };
    await s.set('k', v);
    v.a.push(2);
    assert.deepEqual(await s.get('k'), { a: [1] });
    await s.set('k', undefined);
    assert.equal(await s.get('k'), undefined);
  });

  it('JsonFileStore survives a new instance and serialises concurrent writes', async () => {
    const file = path.join(dir, 'sub', 'store.json');
    const a = new JsonFileStore(file);
    await Promise.all(Array.from({ length: 30 }, (_, i) => a.set(`k${i}`, { i })));
    const b = new JsonFileStore(file);
    for (let i = 0; i < 30; i++) assert.deepEqual(await b.get(`k${i}`), { i });
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ['store.json'], 'no temp file left behind');
  });

  it('JsonFileStore reports an unreadable file instead of starting empty', async () => {
    const file = path.join(dir, 'dir-not-file');
    fs.mkdirSync(file);
    await assert.rejects(new JsonFileStore(file).get('x'), /cannot read/);
  });
});

describe('TaskTracker', () => {
  it('merges records, records events by task id, and removes them', async () => {
    const t = new TaskTracker(new MemoryStore());
    await t.put('job', { snapshot: { payload: 'hi' }, txHash: '0xaa' });
    await t.put('job', { taskId: '12', createdBlock: 30 });
    await t.recordEvent('12', { outcome: { status: 'aborted', taskId: '12', abortReason: 'Task result illegal' } });
    const rec = await t.get('job');
    assert.deepEqual([rec?.snapshot, rec?.txHash, rec?.taskId, rec?.outcome?.status], [{ payload: 'hi' }, '0xaa', '12', 'aborted']);
    assert.equal((await t.byTaskId('12'))?.key, 'job');
    await t.remove('job');
    assert.deepEqual(await t.list(), []);
  });

  it('refuses a snapshot that is not JSON-safe, naming it', async () => {
    const t = new TaskTracker(new MemoryStore());
    await assert.rejects(t.put('job', { snapshot: { fee: 1n } }), (err: unknown) =>
      err instanceof TaskArgsError && err.issues[0].path === 'snapshot');
  });

  it('keeps the cursor per chain and Task contract', async () => {
    const store = new MemoryStore();
    const a = new TaskTracker(store, { chainId: 10000, taskAddress: '0xAA' });
    await a.cursorStore().save({ block: 99, covered: ['1'] });
    assert.deepEqual(await new TaskTracker(store, { chainId: 10000, taskAddress: '0xaa' }).cursorStore().load(), { block: 99, covered: ['1'] });
    assert.equal(await new TaskTracker(store, { chainId: 1, taskAddress: '0xaa' }).cursorStore().load(), undefined);
    assert.equal(await new TaskTracker(store, { chainId: 10000, taskAddress: '0xbb' }).cursorStore().load(), undefined);
  });

  describe('scoped to the chain by its genesis hash (a reset chain keeps its id and addresses)', () => {
    const A = '0x' + 'a1'.repeat(32);
    const B = '0x' + 'b2'.repeat(32);
    const onChain = (store: MemoryStore, genesis?: string) => {
      const t = new TaskTracker(store, { chainId: 10000, taskAddress: '0xaa' });
      t.setChain(10000, genesis);
      return t;
    };

    it('records made on one chain are invisible on another, and come back on the first', async () => {
      const store = new MemoryStore();
      const a = onChain(store, A);
      await a.put('job', { txHash: '0x01', taskId: '1', createdBlock: 5 });
      const b = onChain(store, B);
      assert.deepEqual(await b.list(), []);
      assert.equal(await b.get('job'), undefined);
      assert.equal(await b.byTaskId('1'), undefined);
      assert.equal((await b.byChain()).elsewhere, 1);
      assert.equal((await onChain(store, A).get('job'))?.txHash, '0x01', 'kept for its own chain');
    });

    it('an event of task 1 on the new chain is not written into the old chain\'s task 1', async () => {
      const store = new MemoryStore();
      await onChain(store, A).put('old', { taskId: '1', createdBlock: 5 });
      const b = onChain(store, B);
      await b.put('new', { taskId: '1', createdBlock: 2 });
      await b.recordEvent('1', { outcome: { status: 'success', taskId: '1', result: '0x', resultNode: '0x', blockNumber: 3, txHash: '0x02' } });
      assert.equal((await b.get('new'))?.outcome?.status, 'success');
      assert.equal((await onChain(store, A).get('old'))?.outcome, undefined);
    });

    it('removing or reusing a key on one chain leaves the other chain\'s record alone', async () => {
      const store = new MemoryStore();
      await onChain(store, A).put('job', { txHash: '0x01', snapshot: { n: 1 } });
      const b = onChain(store, B);
      await b.remove('job');
      assert.equal((await onChain(store, A).get('job'))?.txHash, '0x01');
      await b.put('job', { stage: 'creating' });
      const fresh = await b.get('job');
      assert.deepEqual([fresh?.txHash, fresh?.snapshot, fresh?.genesisHash], [undefined, undefined, B], 'replaced, not merged');
    });

    it('a record from before the chain was known is adopted by the chain it is next written on', async () => {
      const store = new MemoryStore();
      await new TaskTracker(store).put('job', { txHash: '0x01' });
      const a = onChain(store, A);
      assert.equal((await a.get('job'))?.txHash, '0x01', 'visible: it names no chain');
      await a.put('job', { taskId: '3' });
      assert.equal((await a.get('job'))?.genesisHash, A);
      assert.equal(await onChain(store, B).get('job'), undefined);
    });

    it('the saved cursor is not used on another genesis', async () => {
      const store = new MemoryStore();
      await onChain(store, A).cursorStore().save({ block: 99, covered: ['1'] });
      assert.equal(await onChain(store, B).cursorStore().load(), undefined);
      assert.deepEqual(await onChain(store, A).cursorStore().load(), { block: 99, covered: ['1'] });
      assert.deepEqual(await onChain(store, undefined).cursorStore().load(), { block: 99, covered: ['1'] }, 'an RPC that does not serve block 0 falls back to chain id and address');
    });
  });
});
