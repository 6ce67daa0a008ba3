/**
 * A redeploy hands the tracked jobs of a closing client to a new one on the same store. The
 * orderings where that used to pay twice: the old client closed while its createTask waited
 * for a nonce (its answer came after the new client had sent the task), closed while the hash
 * was being recorded, and two calls with one key at once. A closed client must not broadcast
 * or write; its close() resolves once the record under way has landed.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDevnet, type Devnet } from '../../devnet';
import { rpcCall } from '../../devnet/chain';
import type { CrynuxClient } from '../../lib/client';
import type { CrynuxError } from '../../lib/errors';
import { MemoryStore } from '../../lib/tracker/stores';
import { TaskTracker } from '../../lib/tracker/tracker';
import type { KeyValueStore } from '../../lib/client-types';
import { HeldStore, settledNow } from '../helpers/held-store';
import { devnetClient, fakeTaskHash } from './client-helpers';

const req = (n: number) => ({ taskType: 1 as const, taskHash: fakeTaskHash(n), vramLimit: 8, cap: 1, taskFee: 1000n });

/** Forwards JSON-RPC to `target`; `holdNonce()` holds the next `pending` nonce query until released. */
async function startNonceHolder(target: string) {
  let hold: { arrived: () => void; gate: Promise<void> } | undefined;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString();
    const call = JSON.parse(body) as { method?: string; params?: unknown[] };
    if (hold && call.method === 'eth_getTransactionCount' && call.params?.[1] === 'pending') {
      const h = hold;
      hold = undefined;
      h.arrived();
      await h.gate;
    }
    const answer = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(await answer.text());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const holder = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reached: Promise.resolve(),
    release: () => undefined as void,
    holdNonce() {
      let arrived!: () => void;
      holder.reached = new Promise((r) => (arrived = r));
      const gate = new Promise<void>((r) => (holder.release = r));
      hold = { arrived, gate };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return holder;
}

describe('CrynuxClient: a closed client hands its store over without a second payment', function () {
  this.timeout(60_000);
  let devnet: Devnet;
  const clients: CrynuxClient[] = [];
  const client = (key: string, store: KeyValueStore, rpcUrl = devnet.rpcUrl) => {
    const c = devnetClient(devnet, { rpcUrls: [rpcUrl], privateKey: key, store });
    clients.push(c);
    return c;
  };
  const nonceOf = async (address: string, at: 'latest' | 'pending') =>
    Number(await rpcCall<string>(devnet.rpcUrl, 'eth_getTransactionCount', [address, at]));
  const failure = (p: Promise<unknown>) => p.then(() => assert.fail('the closed client\'s createTask should fail'), (e: CrynuxError) => e);

  before(async () => {
    devnet = await startDevnet({ workers: 0 });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await devnet?.stop();
  });

  it('closed while waiting for a nonce: it sends and records nothing once the answer comes, after the successor paid', async () => {
    const holder = await startNonceHolder(devnet.rpcUrl);
    try {
      const store = new MemoryStore();
      const old = client(devnet.spareKeys[0], store, holder.url);
      await old.start();
      const before = await nonceOf(old.address, 'pending');
      holder.holdNonce();
      const first = old.createTask(req(1), { track: { key: 'job' } });
      await holder.reached;
      await old.close();

      const successor = client(devnet.spareKeys[0], store);
      const created = await successor.createTask(req(1), { track: { key: 'job' } });
      holder.release(); // the old client's nonce answer arrives now
      assert.equal((await failure(first)).code, 'CANCELLED');

      assert.equal(await nonceOf(old.address, 'pending'), before + 1, 'one transaction in all');
      const rec = await new TaskTracker(store).get('job');
      assert.deepEqual([rec?.txHash, rec?.taskId], [created.txHash, created.taskId], 'the successor\'s record is intact');
      const again = await successor.createTask(req(1), { track: { key: 'job' } });
      assert.equal(again.taskId, created.taskId);
      assert.equal(await nonceOf(old.address, 'pending'), before + 1, 'the same job again pays nothing');
    } finally {
      holder.release();
      await holder.close();
    }
  });

  it('closed while the hash is being recorded: close() waits for it, nothing is broadcast, the successor sends those very bytes', async () => {
    const store = new HeldStore();
    const old = client(devnet.spareKeys[1], store);
    await old.start();
    const before = await nonceOf(old.address, 'pending');
    store.holdNextWrite((_key, value) => JSON.stringify(value).includes('"rawTx"'));
    const first = old.createTask(req(2), { track: { key: 'job' } });
    await store.reached;
    const closing = old.close();
    assert.equal(await settledNow(closing), false, 'close() waits for the record being written');
    store.release();
    await closing;
    assert.equal((await failure(first)).code, 'CANCELLED');
    const rec = await new TaskTracker(store.inner).get('job');
    assert.ok(rec?.txHash && rec.rawTx, 'the hash and the signed bytes were recorded');
    assert.equal(await nonceOf(old.address, 'pending'), before, 'the closed client broadcast nothing');
    await assert.rejects(old.createTask(req(2), { track: { key: 'job' } }), { code: 'CLOSED' });

    const created = await client(devnet.spareKeys[1], store).createTask(req(2), { track: { key: 'job' } });
    assert.equal(created.txHash, rec.txHash, 'the successor sent the recorded transaction');
    assert.equal(await nonceOf(old.address, 'pending'), before + 1);
  });

  it('two calls with one key at once: one transaction, both get its task', async () => {
    const c = client(devnet.spareKeys[2], new MemoryStore());
    const before = await nonceOf(c.address, 'pending');
    const [a, b] = await Promise.all([
      c.createTask(req(3), { track: { key: 'twice' } }),
      c.createTask(req(3), { track: { key: 'twice' } }),
    ]);
    assert.deepEqual([b.taskId, b.txHash], [a.taskId, a.txHash]);
    assert.equal(await nonceOf(c.address, 'pending'), before + 1, 'one transaction');
    const other = await c.createTask(req(4), { track: { key: 'other' } });
    assert.notEqual(other.taskId, a.taskId, 'another key is another task');
  });
});
