/**
 * Never paying twice when a createTask broadcast gets no answer: the raw transaction reached
 * (or may have reached) the node, but the answer and the follow-up check were lost. The
 * tracked record keeps the hash, nonce and signed bytes (stored before broadcasting), so a
 * retry with the same key follows that transaction, re-sends the very same bytes, or, only
 * once its nonce went to another transaction, sends a new one. A fault-injecting proxy in
 * front of the devnet's anvil loses the answers.
 */
import assert from 'node:assert/strict';
import { startDevnet, type Devnet } from '../../devnet';
import { rpcCall } from '../../devnet/chain';
import type { CrynuxClient } from '../../lib/client';
import type { CrynuxError } from '../../lib/errors';
import { startRpcProxy, type RpcProxy } from '../helpers/rpc-proxy';
import { devnetClient, fakeTaskHash } from './client-helpers';

const req = (n: number) => ({ taskType: 1 as const, taskHash: fakeTaskHash(n), vramLimit: 8, cap: 1, taskFee: 1000n });

describe('CrynuxClient: a createTask broadcast without an answer is never paid twice', function () {
  this.timeout(60_000);
  let devnet: Devnet;
  let proxy: RpcProxy;
  let client: CrynuxClient;
  const warnings: string[] = [];

  const nonceOf = async (at = 'latest') => Number(await rpcCall<string>(devnet.rpcUrl, 'eth_getTransactionCount', [client.address, at]));
  const mined = async (hash: string) => (await rpcCall(devnet.rpcUrl, 'eth_getTransactionReceipt', [hash])) !== null;
  /** createTask with the answer of its broadcast lost, and the check after it too. */
  async function unanswered(key: string, n: number, how: 'drop-after' | 'drop-before'): Promise<CrynuxError> {
    proxy.failCalls('eth_sendRawTransaction', [1], how);
    proxy.failCalls('eth_getTransactionByHash', [1], 'drop-before');
    const err = await client.createTask(req(n), { track: { key } }).then(
      () => assert.fail('createTask should have failed'),
      (e: CrynuxError) => e,
    );
    assert.equal(err.code, 'CHAIN_CONNECTION', err.message);
    assert.match(err.message, /may still reach the network/);
    return err;
  }
  const recorded = async (key: string) => (await client.listTracked()).find((t) => t.key === key);

  before(async () => {
    devnet = await startDevnet({ workers: 0 });
  });
  beforeEach(async () => {
    proxy = await startRpcProxy(devnet.rpcUrl);
    warnings.length = 0;
    client = devnetClient(devnet, {
      rpcUrls: [proxy.url],
      privateKey: devnet.spareKeys[0],
      logger: { debug() {}, info() {}, warn: (m) => void warnings.push(m), error() {} },
    });
    await client.start();
  });
  afterEach(async () => {
    await client.close();
    await proxy.close();
  });
  after(async () => {
    await devnet?.stop();
  });

  it('the node got it, the answer was lost: a retry with the same key follows that transaction', async () => {
    const before = await nonceOf();
    await unanswered('job-1', 1, 'drop-after');
    const kept = await recorded('job-1');
    assert.ok(kept?.txHash, 'the record with the hash survives the failure');
    assert.equal(kept.txNonce, before);
    assert.ok(await mined(kept.txHash), 'the node did mine it');

    const created = await client.createTask(req(1), { track: { key: 'job-1' } });
    assert.equal(created.txHash, kept.txHash, 'the retry followed the first transaction');
    assert.equal(await nonceOf(), before + 1, 'exactly one transaction (one nonce) was used');
    assert.equal(proxy.count('eth_sendRawTransaction'), 1, 'nothing was broadcast again');
    assert.equal((await recorded('job-1'))?.taskId, created.taskId);
  });

  it('the node never got it: the retry re-sends the very same signed bytes (same nonce, same hash)', async () => {
    const before = await nonceOf();
    await unanswered('job-2', 2, 'drop-before');
    const kept = await recorded('job-2');
    assert.ok(kept?.txHash && kept.rawTx);
    assert.equal(await nonceOf('pending'), before, 'the node has nothing yet');

    const created = await client.createTask(req(2), { track: { key: 'job-2' } });
    assert.equal(created.txHash, kept.txHash);
    assert.equal(await nonceOf(), before + 1, 'exactly one transaction (one nonce) was used');
    const sent = proxy.calls.filter((c) => c.method === 'eth_sendRawTransaction').map((c) => c.params[0]);
    assert.deepEqual(sent, [kept.rawTx, kept.rawTx], 'the second broadcast carried the same bytes');
  });

  it('sends a new transaction only once the lost one can never be mined (its nonce went to another)', async () => {
    const before = await nonceOf();
    await unanswered('job-3', 3, 'drop-before');
    const lost = (await recorded('job-3'))!.txHash!;
    const other = await client.createTask(req(30), { track: { key: 'other' } }); // takes the same nonce
    assert.equal(await nonceOf(), before + 1);

    const created = await client.createTask(req(3), { track: { key: 'job-3' } });
    assert.notEqual(created.txHash, lost);
    assert.notEqual(created.taskId, other.taskId);
    assert.equal(await mined(lost), false, 'the lost transaction was never mined');
    assert.equal(await nonceOf(), before + 2, 'one transaction per created task');
    assert.ok(warnings.some((w) => w.includes(lost) && /can never be mined/.test(w)), warnings.join('\n'));
  });

  it('a refused broadcast (an answer) drops the record: the next call with the key sends afresh', async () => {
    proxy.failCalls('eth_sendRawTransaction', [1], 'error', 'txpool is full');
    await assert.rejects(client.createTask(req(4), { track: { key: 'job-4' } }), (err: CrynuxError) =>
      err.code === 'CHAIN_RPC' && err.message === 'The RPC node refused the createTask transaction: txpool is full');
    assert.equal(await recorded('job-4'), undefined);
  });
});
