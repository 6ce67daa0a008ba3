/**
 * The block watcher through a counting RPC proxy (SPEC §3.10): the calls per poll do not
 * grow with the number of pending tasks, refused or limited eth_getLogs still deliver the
 * outcome, and a restarted client resumes from its persisted cursor and records.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevnet, mine, type Devnet } from '../../devnet';
import { JsonFileStore } from '../../lib/tracker';
import { buildSdTaskArgs } from '../../lib/task-args';
import type { CrynuxClient } from '../../lib/client';
import { devnetClient, fakeTaskHash, startRpcProxy, type RpcProxy } from './client-helpers';

describe('block watcher: RPC calls per poll do not grow with pending tasks', function () {
  this.timeout(60_000);
  let devnet: Devnet;
  let proxy: RpcProxy;
  let creator: CrynuxClient;
  const created: Array<{ taskId: string; blockNumber: number }> = [];

  before(async () => {
    devnet = await startDevnet({ workers: 0, queueSizeLimit: 200 }); // tasks stay queued (pending)
    proxy = await startRpcProxy(devnet.rpcUrl);
    creator = devnetClient(devnet);
    const all = await Promise.all(
      Array.from({ length: 100 }, (_, i) => creator.createTask({ taskType: 0, taskHash: fakeTaskHash(i + 1), vramLimit: 8, cap: 1, taskFee: 1n })),
    );
    created.push(...all);
  });
  after(async () => {
    await creator?.close();
    await proxy?.close();
    await devnet?.stop();
  });

  async function callsWhileWatching(n: number): Promise<Record<string, number>> {
    const watcher = devnetClient(devnet, { rpcUrls: [proxy.url], pollIntervalMs: 50 });
    const stop = new AbortController();
    try {
      await watcher.start();
      const waits = created.slice(0, n).map((t) =>
        watcher.waitForOutcome(t.taskId, { fromBlock: t.blockNumber, signal: stop.signal }).catch(() => undefined));
      await proxy.waitForCalls('eth_blockNumber', 3); // the catch-up from fromBlock is done
      assert.equal(watcher.health().pending, n);
      proxy.reset();
      for (let i = 0; i < 3; i++) {
        await mine(devnet.rpcUrl); // new blocks, so eth_getLogs is exercised
        await proxy.waitForCalls('eth_blockNumber', 4);
      }
      stop.abort();
      await Promise.all(waits);
      return Object.fromEntries(proxy.counts);
    } finally {
      await watcher.close();
    }
  }

  it('makes only eth_blockNumber + at most one eth_getLogs per poll, for 1 and for 100 tasks', async () => {
    for (const n of [1, 100]) {
      const counts = await callsWhileWatching(n);
      assert.deepEqual(Object.keys(counts).sort(), ['eth_blockNumber', 'eth_getLogs'], `methods with ${n} task(s)`);
      assert.ok(counts.eth_getLogs >= 1 && counts.eth_getLogs <= counts.eth_blockNumber, `${JSON.stringify(counts)} with ${n} task(s)`);
    }
  });
});

describe('block watcher: degraded RPCs and restarts', function () {
  this.timeout(60_000);
  let devnet: Devnet;
  let proxy: RpcProxy;
  let dir: string;
  const clients: CrynuxClient[] = [];
  const open = (c: CrynuxClient) => (clients.push(c), c);

  before(async () => {
    devnet = await startDevnet({ workers: 3 });
    proxy = await startRpcProxy(devnet.rpcUrl);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-client-test-'));
  });
  beforeEach(() => {
    proxy.reset();
    proxy.refuse.clear();
    proxy.maxRange = undefined;
  });
  // A client left open keeps polling through the proxy and would mix its calls into the next
  // test's counts (seen as a wrong first eth_getLogs block under load).
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  after(async () => {
    await proxy?.close();
    await devnet?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function runTask(client: CrynuxClient, prompt: string) {
    const built = buildSdTaskArgs({ prompt, numImages: 1 });
    const created = await client.createTask({ ...built, taskFee: 1000n });
    await client.uploadTaskArgs(created.taskId, built.taskArgs);
    return { created, outcome: await client.waitForOutcome(created.taskId, { fromBlock: created.blockNumber, timeoutMs: 30_000 }) };
  }

  it('reads events from block receipts when the RPC refuses eth_getLogs', async () => {
    proxy.refuse.add('eth_getLogs');
    const client = open(devnetClient(devnet, { rpcUrls: [proxy.url] }));
    const { outcome } = await runTask(client, 'receipts fallback');
    assert.equal(outcome.status, 'success');
    assert.ok(proxy.count('eth_getBlockReceipts') > 0);
    assert.equal(client.health().eventSource, 'blocks');
  });

  it('reads the Task transactions\' receipts when eth_getBlockReceipts is refused too', async () => {
    proxy.refuse.add('eth_getLogs');
    proxy.refuse.add('eth_getBlockReceipts');
    const client = open(devnetClient(devnet, { rpcUrls: [proxy.url] }));
    const { outcome } = await runTask(client, 'block scan fallback');
    assert.equal(outcome.status, 'success');
    assert.ok(proxy.count('eth_getTransactionReceipt') > 0);
  });

  it('splits eth_getLogs ranges the RPC calls too large', async () => {
    proxy.maxRange = 3;
    const client = open(devnetClient(devnet, { rpcUrls: [proxy.url], maxLogRange: 500 }));
    const built = buildSdTaskArgs({ prompt: 'split ranges', numImages: 1 });
    const created = await client.createTask({ ...built, taskFee: 1000n });
    await client.uploadTaskArgs(created.taskId, built.taskArgs);
    await client.waitForResultUploaded(created.taskId, { timeoutMs: 30_000, fromBlock: created.blockNumber });
    // Wait from long before the task so the first range is far above the limit.
    const outcome = await client.waitForOutcome(created.taskId, { fromBlock: 0, timeoutMs: 30_000 });
    assert.equal(outcome.status, 'success');
    assert.ok(proxy.logRanges.length > 0 && proxy.logRanges.every((span) => span <= 3), JSON.stringify(proxy.logRanges));
  });

  it('resumes a tracked task after a restart from the persisted cursor, and never creates it twice', async () => {
    const file = path.join(dir, 'store.json');
    const first = open(devnetClient(devnet, { store: new JsonFileStore(file) }));
    const built = buildSdTaskArgs({ prompt: 'restart [devnet:slow=1500]', numImages: 1 });
    const req = { ...built, taskFee: 1000n };
    const created = await first.createTask(req, { track: { key: 'job-1', snapshot: { msgId: 'abc' } } });
    await first.uploadTaskArgs(created.taskId, built.taskArgs);
    // Let the first client move its cursor past the creation block, then "crash".
    while ((first.health().cursor ?? 0) <= created.blockNumber) await mine(devnet.rpcUrl).then(() => new Promise((r) => setTimeout(r, 100)));
    await first.close();
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { crynux_cursor: { block: number; covered: string[] } };
    assert.deepEqual(saved.crynux_cursor.covered, [created.taskId]);

    const second = open(devnetClient(devnet, { rpcUrls: [proxy.url], store: new JsonFileStore(file) }));
    await second.start();
    const [rec] = await second.listTracked();
    assert.deepEqual([rec.key, rec.taskId, rec.txHash, rec.snapshot], ['job-1', created.taskId, created.txHash, { msgId: 'abc' }]);
    const outcome = await second.waitForOutcome(rec.taskId!, { timeoutMs: 30_000 });
    assert.equal(outcome.status, 'success');
    assert.equal(proxy.logFrom[0], saved.crynux_cursor.block + 1, 'the scan resumed right after the saved cursor');
    assert.ok((await second.listTracked())[0].outcome, 'the outcome is recorded in the store');

    const nonce = await (await second.provider()).getTransactionCount(second.address, 'pending');
    const again = await second.createTask(req, { track: { key: 'job-1' } });
    assert.equal(again.taskId, created.taskId);
    assert.equal(await (await second.provider()).getTransactionCount(second.address, 'pending'), nonce, 'nothing was sent');
    await second.untrack('job-1');
    assert.deepEqual(await second.listTracked(), []);
  });
});
