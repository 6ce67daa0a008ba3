/**
 * Messages people read in a Catch node or a status: durations in seconds, no internal event
 * names, and JSON-RPC refusals with a code and a readable prefix (not "eth_getBalance: …").
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { BlockWatcher } from '../../lib/chain/block-watcher';
import { RpcAnswerError } from '../../lib/chain/rpc';
import { ChainConnectionError, ChainRpcError, CrynuxError, TimeoutError } from '../../lib/errors';
import { seconds } from '../../lib/fetch-error';
import { FakeChain, TASK } from './client-fakes';

describe('user-facing messages', () => {
  it('states durations in seconds', () => {
    assert.deepEqual([100, 1500, 9999, 10_000, 600_000].map(seconds), ['0.1 s', '1.5 s', '10 s', '10 s', '600 s']);
  });

  it('an upload wait that times out says what did not happen, in seconds, without event names', async () => {
    const clock = sinon.useFakeTimers();
    const w = new BlockWatcher({ rpc: new FakeChain(), taskAddress: TASK, pollIntervalMs: 60_000 });
    try {
      const wait = w.waitForUploaded(5n, { fromBlock: 1, timeoutMs: 600_000 });
      const failed = assert.rejects(wait, (err: unknown) =>
        err instanceof TimeoutError && err.message === 'Task 5: the GPU node did not upload the results within 600 s');
      await clock.tickAsync(600_000);
      await failed;
    } finally {
      w.close();
      clock.restore();
    }
  });

  it('a JSON-RPC error answer is a CHAIN_RPC CrynuxError saying the node refused the method', () => {
    const err = new RpcAnswerError('eth_getBalance', { code: -32602, message: 'invalid argument 0: hex string has length 3' });
    assert.ok(err instanceof CrynuxError && err instanceof ChainRpcError);
    assert.ok(!(err instanceof ChainConnectionError), 'an answer is not "RPC unreachable"');
    assert.equal(err.code, 'CHAIN_RPC');
    assert.equal(err.name, 'RpcAnswerError');
    assert.equal(err.message, 'The RPC node refused eth_getBalance: invalid argument 0: hex string has length 3');
    assert.equal(err.rpcCode, -32602);
    assert.equal(err.rpcMessage, 'invalid argument 0: hex string has length 3');
  });
});
