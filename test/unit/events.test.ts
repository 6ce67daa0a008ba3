/**
 * SPEC §3.3, §3.6: Task logs are matched by contract address and topic0, never by position;
 * the task id is data word 0 of the one TaskPending log.
 */
import assert from 'node:assert/strict';
import { Interface, ZeroHash, zeroPadValue } from 'ethers';
import { decodeTaskLog, taskEventsFromReceipt, taskIdFromReceipt, type LogLike } from '../../lib/protocol/events';
import { TASK_EVENT_TOPICS } from '../../lib/protocol/abi';
import { ConfigError } from '../../lib/errors';

// Our own encoder, written from SPEC §3.3 independently of lib/protocol/abi.ts.
const emitter = new Interface([
  'event TaskPending(uint256 taskId, uint256 taskType, address indexed creator, bytes32 taskHash, bytes32 dataHash)',
  'event TaskStarted(uint256 taskId, uint256 taskType, address indexed creator, address indexed selectedNode, bytes32 taskHash, bytes32 dataHash, uint256 round)',
  'event TaskSuccess(uint256 indexed taskId, bytes result, address indexed resultNode)',
  'event TaskAborted(uint256 indexed taskId, string reason)',
  'event TaskResultUploaded(uint256 indexed taskId)',
  'event TaskResultCommitmentsReady(uint256 indexed taskId)',
  'event TaskNodeSuccess(uint256 indexed taskId, address nodeAddress, uint256 fee)',
  'event TaskNodeSlashed(uint256 indexed taskId, address nodeAddress)',
  'event TaskNodeCancelled(uint256 indexed taskId, address nodeAddress)',
]);

const TASK = '0x07E149A0e372C2F54Df6358d021d700703D222D1';
const OTHER = '0x662d296cae3f1Be2ed5803227dAd6435f1ffC438';
const CREATOR = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const NODES = ['0x70997970C51812dc3A010C7d01b50e0d17dc79C8', '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', '0x90F79bf6EB2c4f870365E785982E1f101E93b906'];
const HASH = '0xa8324dd77af5484c9509a68362230910149c507e1b0960950a37b6896ff0ef8b';

function log(name: string, values: unknown[], address = TASK): LogLike {
  const { data, topics } = emitter.encodeEventLog(name, values);
  return { address, data, topics };
}
const pending = (id: bigint, address = TASK) => log('TaskPending', [id, 0, CREATOR, HASH, ZeroHash], address);
const started = (id: bigint, round: number) => log('TaskStarted', [id, 0, CREATOR, NODES[round], HASH, ZeroHash, round]);

describe('taskIdFromReceipt (SPEC §3.6)', () => {
  it('direct start: TaskPending then 3 TaskStarted', () => {
    const receipt = { logs: [pending(42n), started(42n, 0), started(42n, 1), started(42n, 2)] };
    assert.equal(taskIdFromReceipt(receipt, TASK), 42n);
  });

  it('eviction: the receipt starts with another task\'s TaskAborted', () => {
    const receipt = { logs: [log('TaskAborted', [7n, 'Task fee is too low']), pending(43n)] };
    assert.equal(taskIdFromReceipt(receipt, TASK), 43n);
    assert.deepEqual(
      taskEventsFromReceipt(receipt, TASK).map((e) => [e.name, e.taskId]),
      [['TaskAborted', 7n], ['TaskPending', 43n]],
    );
  });

  it('ignores a log with the same topic from another contract', () => {
    const receipt = { logs: [pending(999n, OTHER), pending(44n)] };
    assert.equal(taskIdFromReceipt(receipt, TASK), 44n);
    assert.equal(taskIdFromReceipt(receipt, TASK.toLowerCase()), 44n, 'address comparison is case-insensitive');
  });

  it('keeps ids above 2^53 exact', () => {
    const id = 2n ** 64n + 3n;
    assert.equal(taskIdFromReceipt({ logs: [pending(id)] }, TASK), id);
  });

  it('refuses a receipt with no TaskPending from the Task contract: a CONFIG error naming the address and the tx', () => {
    const tx = `0x${'ab'.repeat(32)}`;
    const expected = (err: unknown) =>
      err instanceof ConfigError && err.code === 'CONFIG' &&
      err.message === `The transaction ${tx} was mined but the address ${TASK} did not emit TaskPending: ` +
        'is the Task contract address right? The fee went to that address.';
    assert.throws(() => taskIdFromReceipt({ transactionHash: tx, logs: [pending(1n, OTHER), log('TaskResultUploaded', [1n])] }, TASK), expected);
    assert.throws(() => taskIdFromReceipt({ hash: tx, logs: [] }, TASK), expected);
  });

  it('refuses a receipt with two TaskPending logs', () => {
    assert.throws(() => taskIdFromReceipt({ logs: [pending(1n), pending(2n)] }, TASK), (err: unknown) =>
      err instanceof ConfigError && /emit 2 TaskPending logs, expected one/.test(err.message));
  });
});

describe('decodeTaskLog (SPEC §3.3)', () => {
  it('decodes every Task event', () => {
    const pend = decodeTaskLog(pending(5n), TASK);
    assert.deepEqual(pend, { name: 'TaskPending', taskId: 5n, taskType: 0n, creator: CREATOR, taskHash: HASH, dataHash: ZeroHash });
    const st = decodeTaskLog(started(5n, 2));
    assert.ok(st && st.name === 'TaskStarted');
    assert.equal(st.selectedNode, NODES[2]);
    assert.equal(st.round, 2n);
    assert.deepEqual(decodeTaskLog(log('TaskSuccess', [5n, '0x1234', NODES[1]])), {
      name: 'TaskSuccess', taskId: 5n, result: '0x1234', resultNode: NODES[1],
    });
    assert.deepEqual(decodeTaskLog(log('TaskAborted', [5n, 'Task Cancelled'])), { name: 'TaskAborted', taskId: 5n, reason: 'Task Cancelled' });
    assert.deepEqual(decodeTaskLog(log('TaskResultUploaded', [5n])), { name: 'TaskResultUploaded', taskId: 5n });
    assert.deepEqual(decodeTaskLog(log('TaskResultCommitmentsReady', [5n])), { name: 'TaskResultCommitmentsReady', taskId: 5n });
    assert.deepEqual(decodeTaskLog(log('TaskNodeSuccess', [5n, NODES[0], 10n ** 18n])), {
      name: 'TaskNodeSuccess', taskId: 5n, nodeAddress: NODES[0], fee: 10n ** 18n,
    });
    assert.deepEqual(decodeTaskLog(log('TaskNodeSlashed', [5n, NODES[0]])), { name: 'TaskNodeSlashed', taskId: 5n, nodeAddress: NODES[0] });
    assert.deepEqual(decodeTaskLog(log('TaskNodeCancelled', [5n, NODES[0]])), { name: 'TaskNodeCancelled', taskId: 5n, nodeAddress: NODES[0] });
  });

  it('returns null for other contracts, unknown topics and empty topic lists', () => {
    assert.equal(decodeTaskLog(pending(5n, OTHER), TASK), null);
    assert.equal(decodeTaskLog({ address: TASK, topics: [HASH], data: '0x' }), null);
    assert.equal(decodeTaskLog({ address: TASK, topics: [], data: '0x' }), null);
  });

  it('returns null instead of throwing for a malformed log', () => {
    const good = log('TaskSuccess', [5n, '0x1234', NODES[1]]);
    assert.equal(decodeTaskLog({ ...good, data: '0x1234' }), null);
    assert.equal(decodeTaskLog({ ...good, topics: [...good.topics, ZeroHash] }), null);
    const st = started(5n, 0);
    assert.equal(decodeTaskLog({ ...st, topics: st.topics.slice(0, 2) }), null);
  });

  it('reads the older layout where the id of TaskAborted/TaskSuccess was not indexed', () => {
    const legacy = new Interface([
      'event TaskAborted(uint256 taskId, string reason)',
      'event TaskSuccess(uint256 taskId, bytes result, address resultNode)',
    ]);
    const aborted = legacy.encodeEventLog('TaskAborted', [9n, 'Task result illegal']);
    assert.equal(aborted.topics[0], TASK_EVENT_TOPICS.TaskAborted);
    assert.deepEqual(decodeTaskLog({ address: TASK, ...aborted }), { name: 'TaskAborted', taskId: 9n, reason: 'Task result illegal' });
    const success = legacy.encodeEventLog('TaskSuccess', [9n, '0xabcd', NODES[0]]);
    assert.deepEqual(decodeTaskLog({ address: TASK, ...success }), { name: 'TaskSuccess', taskId: 9n, result: '0xabcd', resultNode: NODES[0] });
    const halfIndexed = new Interface(['event TaskSuccess(uint256 taskId, bytes result, address indexed resultNode)']);
    const s2 = halfIndexed.encodeEventLog('TaskSuccess', [10n, '0xab', NODES[2]]);
    assert.equal(s2.topics[1], zeroPadValue(NODES[2].toLowerCase(), 32));
    assert.deepEqual(decodeTaskLog({ address: TASK, ...s2 }), { name: 'TaskSuccess', taskId: 10n, result: '0xab', resultNode: NODES[2] });
  });
});
