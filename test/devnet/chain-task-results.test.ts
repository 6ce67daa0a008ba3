/**
 * Our devnet Task contract on a real anvil: commit, disclose, agreement, fee split, slashing,
 * error reports and the success-then-cancel case (SPEC §3.8, §7.3–§7.5).
 */
import assert from 'node:assert/strict';
import { getBytes, hexlify, type TransactionReceipt, type Wallet } from 'ethers';
import { increaseTime } from '../../devnet/chain/anvil';
import { Chain, commitmentOf, isolateEachTest, names, randomNonce, startChainFixture, type ChainFixture } from './chain-fixture';
import { describeWithShared, readShared } from '../helpers/shared';

const ETH = 10n ** 18n;
const FEE = 3n * ETH;

/** Flips the lowest `bits` bits of 8-byte chunk `chunk`. */
function flip(hex: string, chunk: number, bits: number): string {
  const b = getBytes(hex).slice();
  for (let i = 0; i < bits; i++) b[chunk * 8 + 7 - Math.floor(i / 8)] ^= 1 << i % 8;
  return hexlify(b);
}

const A = '0xff00ff00ff00ff000123456789abcdef'; // two SD images
const NEAR = flip(flip(A, 0, 4), 1, 4); // Hamming 4 in each chunk: agrees
const FAR5 = flip(A, 1, 5); // Hamming 5 in chunk 1: disagrees

describe('devnet chain: Task results, agreement and settlement', function () {
  let f: ChainFixture;
  let c: Chain;
  let app: Wallet, n: Wallet[];
  before(async () => {
    f = await startChainFixture();
    c = new Chain(f);
    app = f.wallets[1];
    n = f.wallets.slice(2, 7);
  });
  after(async () => {
    await f?.stop();
  });
  isolateEachTest(() => f);

  /** A started task with all three rounds committed in round order. */
  async function committed(results: string[], taskType = 0): Promise<{ taskId: bigint; nodes: Wallet[]; last: TransactionReceipt }> {
    await c.join(n.slice(0, 3));
    const { receipt, taskId } = await c.createTask(app, { fee: FEE, taskType });
    const nodes = c.roundsOf(receipt, taskId);
    let last!: TransactionReceipt;
    for (let r = 0; r < 3; r++) last = await c.commit(nodes[r], taskId, r, results[r]);
    return { taskId, nodes, last };
  }
  const disclose = (node: Wallet, taskId: bigint, round: number, result: string) =>
    c.send(node, 'task', 'discloseTaskResult', [taskId, round, result]);
  const status = (w: Wallet) => c.call<bigint>('node', 'getNodeStatus', [w.address]);

  it('SD success within Hamming distance < 5, paid totalBalance × score / 50, task deleted after the upload report', async () => {
    const { taskId, nodes, last } = await committed([A, NEAR, A]);
    assert.deepEqual(c.events(last), [{ name: 'TaskResultCommitmentsReady', taskId }]);
    const bal = await Promise.all(nodes.map((w) => c.balance(w.address)));

    const d0 = await disclose(nodes[0], taskId, 0, A);
    assert.deepEqual(c.events(d0), []);
    const d1 = await disclose(nodes[1], taskId, 1, NEAR);
    assert.deepEqual(c.events(d1), [
      { name: 'TaskSuccess', taskId, result: A, resultNode: nodes[0].address },
      { name: 'TaskNodeSuccess', taskId, nodeAddress: nodes[1].address, fee: (FEE * 18n) / 50n },
    ]);
    const d2 = await disclose(nodes[2], taskId, 2, A);
    assert.deepEqual(c.events(d2), [{ name: 'TaskNodeSuccess', taskId, nodeAddress: nodes[2].address, fee: (FEE * 12n) / 50n }]);

    assert.equal((await c.revertOf(nodes[1], 'task', 'reportResultsUploaded', [taskId, 1])).reason, 'Not result round');
    const up = await c.send(nodes[0], 'task', 'reportResultsUploaded', [taskId, 0]);
    assert.deepEqual(names(c.events(up)), ['TaskResultUploaded', 'TaskNodeSuccess']);

    const paid = await Promise.all(nodes.map(async (w, i) => (await c.balance(w.address)) - bal[i]));
    assert.deepEqual(paid, [1200000000000000000n, 1080000000000000000n, 720000000000000000n]);
    assert.equal((await c.call<any>('task', 'getTask', [taskId])).id, 0n, 'finished tasks read as zeros');
    for (const w of nodes) {
      assert.equal(await status(w), 1n);
      assert.equal(await c.call('task', 'getNodeTask', [w.address]), 0n);
    }
    assert.equal(await c.balance(f.contracts.taskAddress), 0n);
    assert.equal(await c.call('task', 'totalSuccessTasks'), 1n);
  });

  it('GPT results must be byte-identical; the odd node is slashed and its stake goes to the Node owner', async () => {
    const X = `0x${'5a'.repeat(32)}`;
    const Y = flip(X, 3, 1);
    const { taskId, nodes } = await committed([X, Y, X], 1);
    const ownerBefore = await c.balance(f.wallets[0].address);
    assert.deepEqual(c.events(await disclose(nodes[0], taskId, 0, X)), []);
    assert.deepEqual(c.events(await disclose(nodes[1], taskId, 1, Y)), [], 'one differing bit: no agreement yet');
    const d2 = await disclose(nodes[2], taskId, 2, X);
    assert.deepEqual(names(c.events(d2)), ['TaskSuccess', 'TaskNodeSuccess', 'TaskNodeSlashed']);
    assert.deepEqual(c.events(d2)[2], { name: 'TaskNodeSlashed', taskId, nodeAddress: nodes[1].address });
    assert.equal(await status(nodes[1]), 0n, 'slashed node is out');
    assert.equal((await c.balance(f.wallets[0].address)) - ownerBefore, 400n * ETH);
  });

  it('SD: Hamming distance 5 in one chunk disagrees; the creator gets the slashed node\'s share', async () => {
    const { taskId, nodes } = await committed([A, FAR5, A]);
    await disclose(nodes[0], taskId, 0, A);
    assert.deepEqual(c.events(await disclose(nodes[1], taskId, 1, FAR5)), []);
    const d2 = await disclose(nodes[2], taskId, 2, A);
    assert.deepEqual(c.events(d2)[0], { name: 'TaskSuccess', taskId, result: A, resultNode: nodes[0].address });
    assert.ok(c.events(d2).some((e) => e.name === 'TaskNodeSlashed' && e.nodeAddress === nodes[1].address));
    const before = await c.balance(app.address);
    await c.send(nodes[0], 'task', 'reportResultsUploaded', [taskId, 0]);
    assert.equal((await c.balance(app.address)) - before, (FEE * 18n) / 50n);
  });

  it('three different results: "Task result illegal", full refund, TaskNodeCancelled ×3', async () => {
    const B = flip(A, 0, 8);
    const C = flip(A, 1, 8);
    const { taskId, nodes } = await committed([A, B, C]);
    const before = await c.balance(app.address);
    await disclose(nodes[0], taskId, 0, A);
    await disclose(nodes[1], taskId, 1, B);
    const d2 = await disclose(nodes[2], taskId, 2, C);
    assert.deepEqual(names(c.events(d2)), ['TaskAborted', 'TaskNodeCancelled', 'TaskNodeCancelled', 'TaskNodeCancelled']);
    assert.deepEqual(c.events(d2)[0], { name: 'TaskAborted', taskId, reason: 'Task result illegal' });
    assert.equal((await c.balance(app.address)) - before, FEE);
    for (const w of nodes) assert.equal(await status(w), 1n);
    assert.equal((await c.call<any>('task', 'getTask', [taskId])).id, 0n);
  });

  it('two error reports: "Task error reported", reporters paid, the creator gets nothing', async () => {
    await c.join(n.slice(0, 3));
    const { receipt, taskId } = await c.createTask(app, { fee: FEE });
    const nodes = c.roundsOf(receipt, taskId);
    const creatorAfterCreate = await c.balance(app.address);
    assert.deepEqual(c.events(await c.send(nodes[0], 'task', 'reportTaskError', [taskId, 0])), []);
    const r1 = await c.send(nodes[1], 'task', 'reportTaskError', [taskId, 1]);
    assert.deepEqual(names(c.events(r1)), ['TaskAborted', 'TaskNodeSuccess', 'TaskNodeSuccess']);
    assert.deepEqual(c.events(r1)[0], { name: 'TaskAborted', taskId, reason: 'Task error reported' });
    const r = await c.revertOf(nodes[2], 'task', 'submitTaskResultCommitment', [taskId, 2, commitmentOf(A, randomNonce()), randomNonce()]);
    assert.equal(r.reason, 'Task is aborted');
    const r2 = await c.send(nodes[2], 'task', 'reportTaskError', [taskId, 2]);
    assert.deepEqual(names(c.events(r2)), ['TaskNodeSuccess']);
    assert.equal(await c.balance(app.address), creatorAfterCreate);
    assert.equal(await c.balance(f.contracts.taskAddress), 0n);
    assert.equal((await c.call<any>('task', 'getTask', [taskId])).id, 0n);
  });

  it('two error reports after a real commitment: that node is slashed, its share goes to the creator', async () => {
    await c.join(n.slice(0, 3));
    const { receipt, taskId } = await c.createTask(app, { fee: FEE });
    const nodes = c.roundsOf(receipt, taskId);
    await c.commit(nodes[2], taskId, 2, A);
    const before = await c.balance(app.address);
    await c.send(nodes[0], 'task', 'reportTaskError', [taskId, 0]);
    const r1 = await c.send(nodes[1], 'task', 'reportTaskError', [taskId, 1]);
    const ev = c.events(r1);
    assert.ok(!ev.some((e) => e.name === 'TaskResultCommitmentsReady'), 'no ready event with 2 error reports');
    assert.ok(ev.some((e) => e.name === 'TaskNodeSlashed' && e.nodeAddress === nodes[2].address));
    // reporters: (commit 2nd 9 + disclose 1st 10) + (commit 3rd 6 + disclose 2nd 9) = 34 of 50
    assert.equal((await c.balance(app.address)) - before, (FEE * 16n) / 50n);
  });

  it('one error report and two agreeing results: the reporter is slashed', async () => {
    await c.join(n.slice(0, 3));
    const { receipt, taskId } = await c.createTask(app, { fee: FEE });
    const nodes = c.roundsOf(receipt, taskId);
    await c.send(nodes[0], 'task', 'reportTaskError', [taskId, 0]);
    await c.commit(nodes[1], taskId, 1, A);
    const ready = await c.commit(nodes[2], taskId, 2, A);
    assert.deepEqual(c.events(ready), [{ name: 'TaskResultCommitmentsReady', taskId }]);
    assert.deepEqual(c.events(await disclose(nodes[1], taskId, 1, A)), []);
    const d2 = await disclose(nodes[2], taskId, 2, A);
    assert.deepEqual(c.events(d2)[0], { name: 'TaskSuccess', taskId, result: A, resultNode: nodes[1].address });
    assert.ok(c.events(d2).some((e) => e.name === 'TaskNodeSlashed' && e.nodeAddress === nodes[0].address));
  });

  it('commit and disclose errors', async () => {
    await c.join(n.slice(0, 3));
    const { receipt, taskId } = await c.createTask(app);
    const nodes = c.roundsOf(receipt, taskId);
    const commitArgs = (round: number, nonce = randomNonce()) => [taskId, round, commitmentOf(A, nonce), nonce];
    const err = async (w: Wallet, fn: string, args: unknown[]) => (await c.revertOf(w, 'task', fn, args)).reason;
    assert.equal(await err(nodes[0], 'submitTaskResultCommitment', [99n, 0, ...commitArgs(0).slice(2)]), 'Task not exist');
    assert.equal(await err(nodes[0], 'submitTaskResultCommitment', commitArgs(3)), 'Round not exist');
    assert.equal(await err(nodes[0], 'submitTaskResultCommitment', commitArgs(1)), 'Not selected node');
    const nonce0 = randomNonce();
    await c.commit(nodes[0], taskId, 0, A, nonce0);
    assert.equal(await err(nodes[0], 'submitTaskResultCommitment', commitArgs(0)), 'Already submitted');
    assert.equal(await err(nodes[0], 'reportTaskError', [taskId, 0]), 'Already submitted');
    assert.equal(await err(nodes[1], 'submitTaskResultCommitment', commitArgs(1, nonce0)), 'Nonce already used');
    assert.equal(await err(nodes[0], 'discloseTaskResult', [taskId, 0, A]), 'Commitments not ready');
    await c.commit(nodes[1], taskId, 1, A);
    await c.commit(nodes[2], taskId, 2, A);
    assert.equal(await err(nodes[0], 'discloseTaskResult', [taskId, 0, '0x']), 'Invalid result');
    assert.equal(await err(nodes[0], 'discloseTaskResult', [taskId, 0, NEAR]), 'Mismatch result and commitment');
    assert.equal(await err(nodes[1], 'discloseTaskResult', [taskId, 0, A]), 'Not selected node');
  });

  it('success, then the result node never reports: a cancel after the deadline emits TaskAborted after TaskSuccess', async () => {
    const { taskId, nodes } = await committed([A, A, A]);
    await disclose(nodes[0], taskId, 0, A);
    const success = await disclose(nodes[1], taskId, 1, A);
    assert.equal(c.events(success)[0].name, 'TaskSuccess');
    await disclose(nodes[2], taskId, 2, A);
    assert.notEqual((await c.call<any>('task', 'getTask', [taskId])).id, 0n, 'still running until the upload report');
    await increaseTime(f.anvil.rpcUrl, 901);
    const before = await c.balance(app.address);
    const cancel = await c.send(nodes[2], 'task', 'cancelTask', [taskId]);
    assert.deepEqual(c.events(cancel), [
      { name: 'TaskAborted', taskId, reason: 'Task Cancelled' },
      { name: 'TaskNodeCancelled', taskId, nodeAddress: nodes[0].address },
    ]);
    assert.equal((await c.balance(app.address)) - before, (FEE * 20n) / 50n, 'the unpaid remainder is refunded');
    assert.equal((await c.call<any>('task', 'getTask', [taskId])).id, 0n);
  });

  it('an upload report before the 3rd disclosure keeps the task until that node is settled', async () => {
    const { taskId, nodes } = await committed([A, A, A]);
    await disclose(nodes[0], taskId, 0, A);
    await disclose(nodes[1], taskId, 1, A);
    const up = await c.send(nodes[0], 'task', 'reportResultsUploaded', [taskId, 0]);
    assert.equal(c.events(up)[0].name, 'TaskResultUploaded');
    assert.equal((await c.revertOf(nodes[0], 'task', 'reportResultsUploaded', [taskId, 0])).reason, 'Results already reported');
    assert.equal((await c.call<any>('task', 'getTask', [taskId])).id, taskId);
    await disclose(nodes[2], taskId, 2, A);
    assert.equal((await c.call<any>('task', 'getTask', [taskId])).id, 0n);
    assert.equal(await c.balance(f.contracts.taskAddress), 0n);
  });
});

interface CommitmentVector { id: string; task_type: number; result: string; nonce: string; commitment: string }
interface HammingVector { a: string; b: string; agree: boolean }

describeWithShared('devnet chain: node-side vectors (vectors.json node_side)', function () {
  let f: ChainFixture;
  let c: Chain;
  const v = () => readShared<{ node_side: { commitments: CommitmentVector[]; hamming_agreement: HammingVector[] } }>('vectors.json').node_side;
  before(async () => {
    f = await startChainFixture();
    c = new Chain(f);
    await c.join(f.wallets.slice(2, 5));
  });
  after(async () => {
    await f?.stop();
  });
  isolateEachTest(() => f);

  it('the contract accepts each vector commitment for its result and nonce', async () => {
    for (const vec of v().commitments) {
      assert.equal(commitmentOf(vec.result, vec.nonce), vec.commitment, vec.id);
      const { receipt, taskId } = await c.createTask(f.wallets[1], { taskType: vec.task_type });
      const nodes = c.roundsOf(receipt, taskId);
      await c.send(nodes[0], 'task', 'submitTaskResultCommitment', [taskId, 0, vec.commitment, vec.nonce]);
      await c.commit(nodes[1], taskId, 1, vec.result);
      await c.commit(nodes[2], taskId, 2, vec.result);
      await c.send(nodes[0], 'task', 'discloseTaskResult', [taskId, 0, vec.result]);
      const d1 = await c.send(nodes[1], 'task', 'discloseTaskResult', [taskId, 1, vec.result]);
      assert.deepEqual(c.events(d1)[0], { name: 'TaskSuccess', taskId, result: vec.result, resultNode: nodes[0].address }, vec.id);
      await increaseTime(f.anvil.rpcUrl, 901); // free the nodes for the next vector
      await c.send(f.wallets[1], 'task', 'cancelTask', [taskId]);
    }
  });

  it('agreement of two disclosures follows the hamming_agreement vectors', async () => {
    for (const vec of v().hamming_agreement) {
      const { receipt, taskId } = await c.createTask(f.wallets[1], { taskType: 0 });
      const nodes = c.roundsOf(receipt, taskId);
      let second: TransactionReceipt;
      if (getBytes(vec.a).length === 0) {
        // two empty results are two error reports (SPEC §7.5)
        await c.send(nodes[0], 'task', 'reportTaskError', [taskId, 0]);
        second = await c.send(nodes[1], 'task', 'reportTaskError', [taskId, 1]);
      } else {
        await c.commit(nodes[0], taskId, 0, vec.a);
        await c.commit(nodes[1], taskId, 1, vec.b);
        await c.commit(nodes[2], taskId, 2, vec.a);
        await c.send(nodes[0], 'task', 'discloseTaskResult', [taskId, 0, vec.a]);
        second = await c.send(nodes[1], 'task', 'discloseTaskResult', [taskId, 1, vec.b]);
      }
      const terminal = c.events(second).some((e) => e.name === 'TaskSuccess' || e.name === 'TaskAborted');
      assert.equal(terminal, vec.agree, `${vec.a} vs ${vec.b}`);
      // free the nodes for the next vector
      await increaseTime(f.anvil.rpcUrl, 901);
      await c.send(f.wallets[1], 'task', 'cancelTask', [taskId]);
    }
  });
});
