/**
 * BlockWatcher rules (SPEC §3.8, §3.10) on a scripted chain with fake timers, so each poll
 * is stepped explicitly: first terminal event wins, confirmations, one eth_getLogs per
 * range whatever the number of tasks, the persisted cursor, idling and close().
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { BlockWatcher, type BlockWatcherOptions, type CursorState } from '../../lib/chain/block-watcher';
import { FakeChain, TASK } from './client-fakes';

const POLL = 100;

describe('BlockWatcher', () => {
  let clock: sinon.SinonFakeTimers;
  let chain: FakeChain;
  const watchers: BlockWatcher[] = [];

  function make(extra: Partial<BlockWatcherOptions> = {}): BlockWatcher {
    const w = new BlockWatcher({ rpc: chain, taskAddress: TASK, pollIntervalMs: POLL, ...extra });
    watchers.push(w);
    return w;
  }
  const polls = (n: number) => clock.tickAsync(POLL * n);

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    chain = new FakeChain();
  });
  afterEach(() => {
    for (const w of watchers.splice(0)) w.close();
    clock.restore();
  });

  it('resolves with the first terminal event; a later TaskAborted only tells upload waiters (SPEC §3.8)', async () => {
    chain.success(8, 1n, '0xaabbccddeeff0011');
    chain.aborted(9, 1n, 'Task Cancelled');
    const w = make();
    const outcome = w.waitForOutcome(1n, { fromBlock: 5 });
    await polls(1);
    const o = await outcome;
    assert.equal(o.status, 'success');
    assert.equal(o.status === 'success' && o.result, '0xaabbccddeeff0011');
    assert.equal(w.known(1n)?.abortedAfterSuccess, 'Task Cancelled');
    await assert.rejects(w.waitForUploaded(1n), { code: 'TASK_ABORTED' });
  });

  it('keeps every wait when far more than its prune threshold (2000) are pending', async () => {
    const w = make();
    const ids = Array.from({ length: 2500 }, (_, i) => BigInt(i + 1));
    const waits = ids.map((id) => w.waitForOutcome(id, { fromBlock: 5 }));
    assert.equal(w.pendingCount, ids.length);
    chain.aborted(7, 2500n, 'Task result illegal');
    await polls(2);
    assert.equal((await waits[2499]).status, 'aborted');
    w.close();
    await Promise.allSettled(waits);
  });

  it('a timeout beyond what a Node.js timer holds (2^31 ms) does not fire at once', async () => {
    const w = make();
    let settled = false;
    const wait = w.waitForOutcome(3n, { fromBlock: 5, timeoutMs: 40 * 24 * 3600 * 1000 }).finally(() => (settled = true));
    await polls(5);
    assert.equal(settled, false, 'still waiting');
    w.close();
    await wait.catch(() => undefined);
  });

  it('counts an event only once `confirmations` blocks hold it', async () => {
    chain.aborted(10, 2n, 'Task result illegal');
    const w = make({ confirmations: 3 });
    let done = false;
    const outcome = w.waitForOutcome(2n, { fromBlock: 9 }).then((o) => ((done = true), o));
    await polls(3);
    assert.equal(done, false, 'head 10: one confirmation only');
    chain.head = 12;
    await polls(2);
    assert.equal((await outcome).status, 'aborted');
  });

  it('makes one eth_getLogs per new block range for 50 tasks, the same as for one', async () => {
    const w = make();
    for (let id = 1n; id <= 50n; id++) void w.waitForOutcome(id, { fromBlock: 10 }).catch(() => undefined);
    await polls(1);
    const before = { logs: chain.count('eth_getLogs'), heads: chain.count('eth_blockNumber') };
    for (let i = 0; i < 5; i++) {
      chain.head++;
      await polls(1);
    }
    assert.equal(chain.count('eth_getLogs') - before.logs, 5);
    assert.equal(chain.count('eth_blockNumber') - before.heads, 5);
    assert.equal(chain.calls.length, chain.count('eth_getLogs') + chain.count('eth_blockNumber'));
    assert.equal(w.pendingCount, 50);
  });

  it('catches up in ranges of at most maxLogRange and halves them when the RPC refuses', async () => {
    chain.head = 1000;
    chain.maxRange = 60;
    chain.success(990, 3n);
    const w = make({ maxLogRange: 100, maxRangesPerTick: 100 });
    const outcome = w.waitForOutcome(3n, { fromBlock: 0 });
    await polls(1);
    assert.equal((await outcome).status, 'success');
    const spans = chain.calls
      .filter((c) => c.method === 'eth_getLogs')
      .map((c) => {
        const f = c.params[0] as { fromBlock: string; toBlock: string };
        return Number(f.toBlock) - Number(f.fromBlock) + 1;
      });
    assert.deepEqual(spans.slice(0, 3), [100, 50, 50]);
    assert.ok(spans.slice(1).every((s) => s <= 50), 'the smaller range is kept');
  });

  it('saves the cursor after recording events, and a restart resumes right after it', async () => {
    let saved: CursorState | undefined;
    const order: string[] = [];
    const cursorStore = {
      load: async () => saved,
      save: async (s: CursorState) => void (order.push(`save ${s.block}`), (saved = s)),
    };
    const onRecord = async (id: string) => void order.push(`record ${id}`);
    chain.success(10, 4n);
    const first = make({ cursorStore, onRecord });
    first.watch(4n, { fromBlock: 6, tracked: true });
    first.watch(5n, { fromBlock: 6, tracked: true });
    await polls(1);
    assert.deepEqual(order, ['record 4', 'save 10']);
    assert.deepEqual(saved, { block: 10, covered: ['4', '5'] }, 'task 4 still awaits TaskResultUploaded');
    first.close();

    chain.head = 20;
    chain.success(15, 5n);
    chain.calls.length = 0;
    const second = make({ cursorStore, onRecord });
    second.watch(5n, { fromBlock: 6, tracked: true });
    const outcome = second.waitForOutcome(5n);
    await polls(1);
    assert.equal((await outcome).status, 'success');
    const firstScan = chain.calls.find((c) => c.method === 'eth_getLogs')!.params[0] as { fromBlock: string };
    assert.equal(Number(firstScan.fromBlock), 11);
  });

  it('stops polling when nothing is pending, and close() leaves no timer', async () => {
    chain.aborted(10, 6n, 'Task error reported');
    const w = make();
    const outcome = w.waitForOutcome(6n, { fromBlock: 10 });
    await polls(1);
    await outcome;
    const calls = chain.calls.length;
    await polls(20);
    assert.equal(chain.calls.length, calls, 'idle: no RPC calls');

    const waiting = w.waitForOutcome(7n, { fromBlock: 10 });
    await polls(2);
    w.close();
    await assert.rejects(waiting, { code: 'CLOSED' });
    assert.equal(clock.countTimers(), 0);
  });

  it('on timeout resolves "timeout", and with cancelOnTimeout only after cancelIfDue could cancel', async () => {
    const answers = [{ kind: 'not-due' as const }, { kind: 'cancelled' as const, txHash: '0xcc', blockNumber: 11 }];
    const cancelIfDue = sinon.stub().callsFake(async () => answers.shift() ?? { kind: 'not-due' });
    const w = make({ cancelIfDue });
    const plain = w.waitForOutcome(8n, { fromBlock: 10, timeoutMs: 150 });
    const cancelling = w.waitForOutcome(9n, { fromBlock: 10, timeoutMs: 150, cancelOnTimeout: true });
    await polls(2);
    assert.deepEqual(await plain, { status: 'aborted', taskId: '8', abortReason: 'timeout' });
    await polls(3);
    assert.deepEqual(await cancelling, { status: 'aborted', taskId: '9', abortReason: 'timeout', cancelTxHash: '0xcc', blockNumber: 11 });
    assert.ok(cancelIfDue.callCount >= 2);
    assert.ok(cancelIfDue.alwaysCalledWith(9n));
  });

  it('reports its own cancel as "timeout" with cancelTxHash even when the TaskAborted event is seen first', async () => {
    let finishCancel: (r: { kind: 'cancelled'; txHash: string; blockNumber: number }) => void = () => undefined;
    const cancelIfDue = () => new Promise<{ kind: 'cancelled'; txHash: string; blockNumber: number }>((resolve) => (finishCancel = resolve));
    const w = make({ cancelIfDue });
    let settled = false;
    const waiting = w.waitForOutcome(12n, { fromBlock: 10, timeoutMs: 50, cancelOnTimeout: true }).finally(() => (settled = true));
    await polls(2); // timed out; cancelTask is "being mined"
    chain.head = 11;
    chain.aborted(11, 12n, 'Task Cancelled');
    await polls(2);
    assert.equal(settled, false, 'not resolved by our own TaskAborted');
    finishCancel({ kind: 'cancelled', txHash: '0xdd', blockNumber: 11 });
    assert.deepEqual(await waiting, { status: 'aborted', taskId: '12', abortReason: 'timeout', cancelTxHash: '0xdd', blockNumber: 11 });
  });

  it('without fromBlock, watches a running task from the head and searches back for a finished one', async () => {
    chain.head = 100;
    chain.success(40, 10n);
    const taskState = async (id: bigint) => (id === 10n ? 'finished' as const : 'running' as const);
    const w = make({ taskState, lookbackBlocks: 80 });
    const finished = w.waitForOutcome(10n);
    void w.waitForOutcome(11n).catch(() => undefined);
    await polls(1);
    assert.equal((await finished).status, 'success');
    const froms = chain.calls.filter((c) => c.method === 'eth_getLogs').map((c) => Number((c.params[0] as { fromBlock: string }).fromBlock));
    assert.equal(froms[0], 20, 'head − lookbackBlocks');
  });
});
