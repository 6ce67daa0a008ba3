/**
 * Our devnet Task contract on a real anvil: start paths, the queue, eviction, cancelTask and
 * the node registry (SPEC §3.5, §3.7, §3.9, §7.1).
 */
import assert from 'node:assert/strict';
import type { Wallet } from 'ethers';
import { increaseTime, latestTimestamp } from '../../devnet/chain/anvil';
import { Chain, GPU, STAKE, isolateEachTest, names, startChainFixture, type ChainFixture } from './chain-fixture';

const ETH = 10n ** 18n;

describe('devnet chain: Task start paths, queue and cancel', function () {
  let f: ChainFixture;
  let c: Chain;
  let app: Wallet, other: Wallet, n: Wallet[];
  before(async () => {
    f = await startChainFixture();
    c = new Chain(f);
    app = f.wallets[1];
    other = f.wallets[7];
    n = f.wallets.slice(2, 7);
  });
  after(async () => {
    await f?.stop();
  });
  isolateEachTest(() => f);

  it('starts directly with 3 free nodes: TaskPending then TaskStarted ×3 (rounds 0,1,2) in the create receipt', async () => {
    await c.join(n.slice(0, 3));
    const { receipt, taskId } = await c.createTask(app, { fee: 3n * ETH });
    assert.equal(taskId, 1n, 'ids count up from 1');
    const ev = c.events(receipt);
    assert.deepEqual(names(ev), ['TaskPending', 'TaskStarted', 'TaskStarted', 'TaskStarted']);
    const started = ev.filter((e) => e.name === 'TaskStarted');
    assert.deepEqual(started.map((e) => (e.name === 'TaskStarted' ? e.round : -1n)), [0n, 1n, 2n]);
    const selected = started.map((e) => (e.name === 'TaskStarted' ? e.selectedNode : ''));
    assert.deepEqual([...selected].sort(), n.slice(0, 3).map((w) => w.address).sort());

    const info = await c.call<any>('task', 'getTask', [taskId]);
    const block = await f.provider.getBlock(receipt.blockNumber);
    assert.equal(info.id, taskId);
    assert.equal(info.creator, app.address);
    assert.equal(info.timeout, BigInt(block!.timestamp) + 900n, 'deadline = start + 900 s');
    assert.deepEqual([...info.selectedNodes], selected);
    assert.equal(info.balance, 3n * ETH);
    assert.equal(info.totalBalance, 3n * ETH);
    for (const w of n.slice(0, 3)) {
      assert.equal(await c.call('node', 'getNodeStatus', [w.address]), 2n, 'BUSY');
      assert.equal(await c.call('task', 'getNodeTask', [w.address]), taskId);
    }
    assert.equal(await c.call('task', 'totalTasks'), 1n);
  });

  it('queues without free nodes and starts inside the transaction of the join that makes 3', async () => {
    await c.join(n.slice(0, 2));
    const { receipt, taskId } = await c.createTask(app);
    assert.deepEqual(names(c.events(receipt)), ['TaskPending']);
    assert.equal(await c.call('queue', 'include', [taskId]), true);
    assert.equal(await c.call('queue', 'size'), 1n);
    assert.equal((await c.call<any>('task', 'getTask', [taskId])).id, 0n, 'getTask is all zeros while queued');

    await increaseTime(f.anvil.rpcUrl, 100);
    const [join] = await c.join([n[2]]);
    const started = c.events(join).filter((e) => e.name === 'TaskStarted' && e.taskId === taskId);
    assert.equal(started.length, 3);
    assert.equal(await c.call('queue', 'include', [taskId]), false);
    const info = await c.call<any>('task', 'getTask', [taskId]);
    const block = await f.provider.getBlock(join.blockNumber);
    assert.equal(info.timeout, BigInt(block!.timestamp) + 900n, 'the clock starts at dequeue');
  });

  it('queued cap 0 reverts with Panic(0x12); the direct path hides it', async () => {
    const hash = `0x${'ab'.repeat(32)}`;
    const args = [0, hash, `0x${'00'.repeat(32)}`, 8, 0];
    const r = await c.revertOf(app, 'task', 'createTask', args, ETH);
    assert.equal(r.panicCode, 0x12);
    assert.equal(r.data, `0x4e487b71${(0x12).toString(16).padStart(64, '0')}`);
    await c.join(n.slice(0, 3));
    const { receipt } = await c.createTask(app, { cap: 0 });
    assert.equal(receipt.status, 1);
  });

  it('rejects an unknown task type with "Invalid task type"', async () => {
    const r = await c.revertOf(app, 'task', 'createTask', [2, `0x${'01'.repeat(32)}`, `0x${'00'.repeat(32)}`, 8, 1]);
    assert.equal(r.reason, 'Invalid task type');
  });

  it('a full queue evicts its cheapest task with "Task fee is too low" (no refund) and queues the new one', async () => {
    await c.sendOwner('TaskQueue', 'updateSizeLimit', [1]);
    assert.equal(await c.call('queue', 'getSizeLimit'), 1n);
    const a = await c.createTask(other, { fee: 5n * ETH });
    const otherBalance = await c.balance(other.address);
    const b = await c.createTask(app, { fee: ETH }); // cheaper still: queued anyway
    const ev = c.events(b.receipt);
    assert.deepEqual(names(ev), ['TaskAborted', 'TaskPending']);
    assert.deepEqual(ev[0], { name: 'TaskAborted', taskId: a.taskId, reason: 'Task fee is too low' });
    assert.equal(b.taskId, a.taskId + 1n, 'taskIdFromReceipt picks the TaskPending log, not log 0');
    assert.equal(await c.call('queue', 'include', [a.taskId]), false);
    assert.equal(await c.call('queue', 'include', [b.taskId]), true);
    assert.equal(await c.balance(other.address), otherBalance, 'the evicted creator gets nothing back');
    assert.equal(await c.balance(f.contracts.taskAddress), 6n * ETH);
    assert.equal(await c.call('task', 'totalAbortedTasks'), 1n);
  });

  it('a queue limit of 0 refuses to queue', async () => {
    await c.sendOwner('TaskQueue', 'updateSizeLimit', [0]);
    const r = await c.revertOf(app, 'task', 'createTask', [0, `0x${'01'.repeat(32)}`, `0x${'00'.repeat(32)}`, 8, 1], ETH);
    assert.ok(['No available task', 'Task queue is full'].includes(r.reason), r.reason);
  });

  it('dequeues the highest price (fee / cap) first and never a task of price 0', async () => {
    const cheap = await c.createTask(app, { fee: 4n * ETH, cap: 4 }); // price 1 ETH
    const dear = await c.createTask(app, { fee: 3n * ETH, cap: 1 }); // price 3 ETH
    const free = await c.createTask(app, { fee: 0n }); // price 0
    const joins = await c.join(n.slice(0, 3));
    assert.deepEqual(names(c.events(joins[2])), ['TaskStarted', 'TaskStarted', 'TaskStarted']);
    assert.ok(c.events(joins[2]).every((e) => e.taskId === dear.taskId));
    const more = await c.join([n[3], n[4], f.wallets[8]]);
    assert.ok(c.events(more[2]).every((e) => e.name === 'TaskStarted' && e.taskId === cheap.taskId));
    assert.equal(await c.call('queue', 'include', [free.taskId]), true);
    const idle = await c.join([f.wallets[9], f.wallets[0], other]); // 3 free nodes, only the price-0 task left
    assert.deepEqual(idle.flatMap((r) => names(c.events(r))), []);
    assert.equal(await c.call('queue', 'include', [free.taskId]), true, 'price 0 stays queued');
  });

  it('GPT tasks need 3 nodes with the same GPU; SD tasks only need vram', async () => {
    await c.join([n[0]], GPU);
    await c.join([n[1]], { name: 'NVIDIA GeForce RTX 3090', vram: 24 });
    await c.join([n[2]], { name: 'NVIDIA GeForce RTX 4090', vram: 16 });
    const gpt = await c.createTask(app, { taskType: 1, vramLimit: 8 });
    assert.deepEqual(names(c.events(gpt.receipt)), ['TaskPending'], 'no GPU triple: queued');
    const sdTooBig = await c.createTask(app, { taskType: 0, vramLimit: 20 });
    assert.deepEqual(names(c.events(sdTooBig.receipt)), ['TaskPending'], 'only 2 nodes have 20 GB');
    const sd = await c.createTask(app, { taskType: 0, vramLimit: 16 });
    assert.equal(names(c.events(sd.receipt)).length, 4);
  });

  it('refuses to cancel a running task before the deadline or by a stranger; after it refunds everything', async () => {
    await c.join(n.slice(0, 3));
    const { receipt, taskId } = await c.createTask(app, { fee: 3n * ETH });
    const nodes = c.roundsOf(receipt, taskId);
    assert.equal((await c.revertOf(app, 'task', 'cancelTask', [taskId])).reason, 'Task has not exceeded the deadline yet');
    const info = await c.call<any>('task', 'getTask', [taskId]);
    // exactly at the deadline is still too early ("strictly after")
    await f.provider.send('evm_setNextBlockTimestamp', [Number(info.timeout)]);
    await f.provider.send('evm_mine', []);
    assert.equal(await latestTimestamp(f.anvil.rpcUrl), Number(info.timeout));
    assert.equal((await c.revertOf(app, 'task', 'cancelTask', [taskId])).reason, 'Task has not exceeded the deadline yet');
    await increaseTime(f.anvil.rpcUrl, 1);
    assert.equal((await c.revertOf(other, 'task', 'cancelTask', [taskId])).reason, 'Unauthorized to cancel task');

    const before = await c.balance(app.address);
    const cancel = await c.send(nodes[1], 'task', 'cancelTask', [taskId]); // a selected node may cancel too
    assert.deepEqual(names(c.events(cancel)), ['TaskAborted', 'TaskNodeCancelled', 'TaskNodeCancelled', 'TaskNodeCancelled']);
    assert.deepEqual(c.events(cancel)[0], { name: 'TaskAborted', taskId, reason: 'Task Cancelled' });
    assert.equal((await c.balance(app.address)) - before, 3n * ETH);
    assert.equal((await c.call<any>('task', 'getTask', [taskId])).id, 0n);
    for (const w of nodes) assert.equal(await c.call('node', 'getNodeStatus', [w.address]), 1n, 'AVAILABLE again');
    assert.equal((await c.revertOf(app, 'task', 'cancelTask', [taskId])).reason, 'Task not exist');
  });

  it('a queued task can be cancelled by anyone at any time, with a full refund to its creator', async () => {
    const { taskId } = await c.createTask(app, { fee: 2n * ETH });
    const before = await c.balance(app.address);
    const cancel = await c.send(other, 'task', 'cancelTask', [taskId]);
    assert.deepEqual(c.events(cancel), [{ name: 'TaskAborted', taskId, reason: 'Task Cancelled' }]);
    assert.equal((await c.balance(app.address)) - before, 2n * ETH);
    assert.equal(await c.call('queue', 'include', [taskId]), false);
    assert.equal((await c.revertOf(other, 'task', 'cancelTask', [99n])).reason, 'Task not exist');
  });

  it('cancelling a running task frees its nodes and starts a queued task in the same receipt', async () => {
    await c.join(n.slice(0, 3));
    const first = await c.createTask(app);
    const queued = await c.createTask(other);
    assert.deepEqual(names(c.events(queued.receipt)), ['TaskPending']);
    await increaseTime(f.anvil.rpcUrl, 901);
    const cancel = await c.send(app, 'task', 'cancelTask', [first.taskId]);
    const started = c.events(cancel).filter((e) => e.name === 'TaskStarted' && e.taskId === queued.taskId);
    assert.equal(started.length, 3);
  });

  it('node registry: stake, status codes, pause/resume/quit and their errors', async () => {
    const w = n[0];
    const r1 = await c.revertOf(w, 'node', 'join', [GPU.name, GPU.vram], STAKE - 1n);
    assert.equal(r1.reason, 'Staked amount is not enough');
    const before = await c.balance(w.address);
    await c.join([w]);
    assert.equal(await c.call('node', 'getNodeStatus', [w.address]), 1n);
    assert.equal((await c.revertOf(w, 'node', 'join', [GPU.name, GPU.vram], STAKE)).reason, 'Node already joined');
    await c.send(w, 'node', 'pause', []);
    assert.equal(await c.call('node', 'getNodeStatus', [w.address]), 5n, 'PAUSED');
    await c.send(w, 'node', 'resume', []);
    assert.equal(await c.call('node', 'getNodeStatus', [w.address]), 1n);
    await c.send(w, 'node', 'quit', []);
    assert.equal(await c.call('node', 'getNodeStatus', [w.address]), 0n, 'QUIT');
    assert.equal(await c.balance(w.address), before, 'stake returned');
  });

  it('a busy node that quits is PENDING_QUIT until its task settles; resume can start a queued task', async () => {
    await c.join(n.slice(0, 3));
    const t = await c.createTask(app);
    await c.send(n[0], 'node', 'quit', []);
    assert.equal(await c.call('node', 'getNodeStatus', [n[0].address]), 4n, 'PENDING_QUIT');
    await c.join([n[3]]);
    await c.send(n[3], 'node', 'pause', []);
    await increaseTime(f.anvil.rpcUrl, 901);
    await c.send(app, 'task', 'cancelTask', [t.taskId]);
    assert.equal(await c.call('node', 'getNodeStatus', [n[0].address]), 0n, 'QUIT after the task');
    const queued = await c.createTask(app);
    assert.deepEqual(names(c.events(queued.receipt)), ['TaskPending'], 'only 2 free nodes');
    const resume = await c.send(n[3], 'node', 'resume', []);
    assert.equal(c.events(resume).filter((e) => e.name === 'TaskStarted').length, 3);
  });
});
