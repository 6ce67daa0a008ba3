/**
 * TaskLogSource (SPEC §3.10, §8 item 30): which RPC answers shrink the range, which switch
 * to reading receipts, and which are only retried.
 */
import assert from 'node:assert/strict';
import { isMethodRefused, isRangeError, isRateLimited, TaskLogSource } from '../../lib/chain/logs';
import { RpcAnswerError } from '../../lib/chain/rpc';
import { TASK_EVENT_TOPICS } from '../../lib/protocol';
import { FakeChain, TASK } from './client-fakes';

const TOPICS = [TASK_EVENT_TOPICS.TaskSuccess, TASK_EVENT_TOPICS.TaskAborted, TASK_EVENT_TOPICS.TaskResultUploaded];
const answer = (message: string, code?: number) => new RpcAnswerError('eth_getLogs', { code, message });

describe('TaskLogSource', () => {
  it('classifies RPC answers to eth_getLogs', () => {
    for (const m of ['block range is too large', 'query returned more than 10000 results', 'exceed maximum block range: 500', 'Log response size exceeded']) {
      assert.ok(isRangeError(answer(m)), m);
    }
    assert.ok(isRangeError(answer('whatever', -32005)));
    for (const m of ['the method eth_getLogs does not exist/is not available', 'Method not found', 'eth_getLogs is disabled']) {
      assert.ok(isMethodRefused(answer(m)), m);
    }
    for (const m of ['rate limit exceeded', 'Too Many Requests']) {
      assert.ok(isRateLimited(answer(m)) && !isRangeError(answer(m)) && !isMethodRefused(answer(m)), m);
    }
    assert.ok(!isMethodRefused(answer('header not found')) && !isRangeError(answer('header not found')));
  });

  it('keeps reading logs after a rate-limit answer (it is retried, nothing else changes)', async () => {
    const chain = new FakeChain();
    chain.overrides.set('eth_getLogs', () => {
      throw answer('rate limit exceeded', 429);
    });
    const source = new TaskLogSource(chain, TASK, TOPICS, 100);
    await assert.rejects(source.fetch(1, 50), /rate limit/);
    assert.deepEqual([source.mode, source.range], ['logs', 100]);
  });

  it('switches to block receipts after three unexplained eth_getLogs errors', async () => {
    const chain = new FakeChain();
    chain.success(3, 1n);
    chain.overrides.set('eth_getLogs', () => {
      throw answer('internal error: backend hiccup', -32603);
    });
    chain.overrides.set('eth_getBlockReceipts', (p) => [{ logs: chain.logs.filter((l) => `0x${l.blockNumber.toString(16)}` === p[0]).map((l) => ({ ...l, blockNumber: `0x${l.blockNumber.toString(16)}`, logIndex: '0x0' })) }]);
    const source = new TaskLogSource(chain, TASK, TOPICS, 100);
    await assert.rejects(source.fetch(1, 5));
    await assert.rejects(source.fetch(1, 5));
    const logs = await source.fetch(1, 5);
    assert.equal(source.mode, 'blocks');
    assert.deepEqual(logs.map((l) => l.blockNumber), [3]);
    assert.equal(chain.count('eth_getBlockReceipts'), 5);
  });
});
