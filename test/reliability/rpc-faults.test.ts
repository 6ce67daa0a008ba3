/**
 * Issue 6, item 2: RPC faults, injected by a proxy in front of the devnet's anvil
 * (test/helpers/rpc-proxy.ts). The first of two RPCs dies mid-flow; the only RPC stops
 * answering for a while (CRYNUX_RPC_OUTAGE_MS, default 30 s) while the task finishes on
 * chain; eth_getLogs is refused part-way through. Range splitting and the receipt fallback
 * from the start are covered in test/devnet/client-watcher.test.ts.
 */
import assert from 'node:assert/strict';
import { startDevnet, type Devnet } from '../../devnet';
import { buildGptTaskArgs, buildSdTaskArgs } from '../../lib/task-args';
import type { CrynuxClient } from '../../lib/client';
import { startRpcProxy, type RpcProxy } from '../helpers/rpc-proxy';
import { devnetClient, eventBlocks, guardProcess, healthLog, observe, sleep, txCount, waitUntil } from './helpers';

const OUTAGE_MS = Number(process.env.CRYNUX_RPC_OUTAGE_MS ?? 30_000);
const FEE = 10n ** 15n;

describe('reliability: RPC faults (issue 6 item 2)', function () {
  this.timeout(60_000 + OUTAGE_MS);
  let devnet: Devnet;
  const proxies: RpcProxy[] = [];
  const clients: CrynuxClient[] = [];
  let guard: ReturnType<typeof guardProcess>;

  const proxy = async () => {
    const p = await startRpcProxy(devnet.rpcUrl);
    proxies.push(p);
    return p;
  };
  const open = (c: CrynuxClient) => (clients.push(c), c);

  before(async () => {
    devnet = await startDevnet({ workers: 3 });
  });
  beforeEach(() => {
    guard = guardProcess();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(proxies.splice(0).map((p) => p.close()));
    assert.deepEqual(guard.stop(), [], 'no unhandled rejection or uncaught exception');
  });
  after(async () => {
    await devnet?.stop();
  });

  it('fails over when the first of two RPCs dies while createTask is in flight, and goes on without paying twice', async () => {
    const [first, second] = [await proxy(), await proxy()];
    const client = open(devnetClient(devnet, { rpcUrls: [first.url, second.url], privateKey: devnet.spareKeys[0] }));
    const health = healthLog(client);
    await client.start();
    const nonce = await txCount(devnet.rpcUrl, client.address);

    // The first RPC dies the moment it forwards the transaction: the node has it, we never hear back.
    void first.waitForCalls('eth_sendRawTransaction').then(() => first.kill('refuse'));
    const built = buildSdTaskArgs({ prompt: 'failover [devnet:slow=300]', numImages: 1 });
    const created = await client.createTask({ ...built, taskFee: FEE });
    assert.equal(first.down, 'refuse');
    assert.equal(await txCount(devnet.rpcUrl, client.address), nonce + 1, 'exactly one transaction was sent');
    assert.equal(second.count('eth_sendRawTransaction'), 1, 'the unanswered broadcast was repeated on the second RPC (same hash)');

    await client.uploadTaskArgs(created.taskId, built.taskArgs, { timeoutMs: 30_000 });
    const outcome = await client.waitForOutcome(created.taskId, { fromBlock: created.blockNumber, timeoutMs: 30_000 });
    assert.equal(outcome.status, 'success');
    await client.waitForResultUploaded(created.taskId, { timeoutMs: 30_000 });
    const { files } = await client.downloadResults(created.taskId, 0, { timeoutMs: 30_000 });
    assert.equal(files.length, 1);

    assert.equal(client.health().rpcUrl, second.url);
    assert.ok(health.some((h) => h.rpcUrl === second.url), 'a health event named the new RPC');
    assert.ok(second.count('eth_getLogs') > 0, 'the watcher reads events through the second RPC');
  });

  it(`survives a ${OUTAGE_MS / 1000} s outage of its only RPC: no lost event, the cursor resumes, health shows the problem while it lasts`, async () => {
    const p = await proxy();
    const client = open(devnetClient(devnet, { rpcUrls: [p.url], requestTimeoutMs: 1000 }));
    const health = healthLog(client);
    const built = buildGptTaskArgs({ model: 'm/m', prompt: 'outage [devnet:slow=500]' });
    const created = await client.createTask({ ...built, taskFee: FEE });
    await client.uploadTaskArgs(created.taskId, built.taskArgs, { timeoutMs: 30_000 });
    const outcome = observe(client.waitForOutcome(created.taskId, { fromBlock: created.blockNumber }));
    const uploaded = observe(client.waitForResultUploaded(created.taskId, { fromBlock: created.blockNumber }));
    const cursorBefore = await waitUntil('the watcher to process a block', () => client.health().cursor);

    const outageStart = Date.now();
    await p.kill('hang');
    // The task finishes on chain during the outage (the workers use anvil directly).
    const [uploadBlock] = await waitUntil('TaskResultUploaded on chain', () =>
      eventBlocks(devnet.rpcUrl, devnet.taskAddress, 'TaskResultUploaded', created.taskId).then((b) => b.length > 0 && b));
    const during = await waitUntil('health to report the outage', () => client.health().lastError);
    assert.match(during, /no answer within (1000 ms|1 s)/);
    assert.ok(health.some((h) => h.lastError), 'a health event carried the problem');
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStart)));
    assert.ok(!outcome.settled() && !uploaded.settled(), 'the waits neither failed nor resolved during the outage');
    assert.ok(client.health().lastError, 'the problem is still shown at the end of the outage');
    const cursorDuring = client.health().cursor!;
    assert.ok(cursorDuring < uploadBlock, 'the watcher could not have seen the upload');

    // Back, but the RPC now refuses wide eth_getLogs: the backlog is read in small ranges.
    p.reset();
    p.maxLogRange = 3;
    await p.revive();
    const o = await outcome.promise;
    assert.equal(o.status, 'success');
    await uploaded.promise;
    await waitUntil('health to clear the problem', () => client.health().lastError === undefined);
    assert.equal(health.at(-1)?.lastError, undefined, 'a health event announced the recovery');

    const ranges = p.logRanges;
    assert.ok(ranges.length > 0 && ranges.every((r) => r.span <= 3), JSON.stringify(ranges));
    assert.equal(ranges[0].from, cursorDuring + 1, 'the scan resumed right after the last processed block');
    for (let i = 1; i < ranges.length; i++) {
      assert.equal(ranges[i].from, ranges[i - 1].from + ranges[i - 1].span, 'no block range was skipped');
    }
    assert.ok(ranges.at(-1)!.from + ranges.at(-1)!.span - 1 >= uploadBlock, 'the ranges reach the upload block');
    assert.ok(cursorBefore <= cursorDuring);

    const { files } = await client.downloadResults(created.taskId, 1, { timeoutMs: 30_000 });
    assert.equal(files.length, 1, 'the result is downloadable after the outage');
  });

  it('switches to reading block receipts when the RPC starts refusing eth_getLogs mid-flow, keeping its place', async () => {
    const p = await proxy();
    const client = open(devnetClient(devnet, { rpcUrls: [p.url] }));
    const built = buildSdTaskArgs({ prompt: 'refuse logs later [devnet:slow=1500]', numImages: 1 });
    const created = await client.createTask({ ...built, taskFee: FEE });
    await client.uploadTaskArgs(created.taskId, built.taskArgs, { timeoutMs: 30_000 });
    const outcome = observe(client.waitForOutcome(created.taskId, { fromBlock: created.blockNumber }));
    await p.waitForCalls('eth_getLogs', 2);
    assert.equal(client.health().eventSource, 'logs');
    p.refuse.add('eth_getLogs');
    assert.equal((await outcome.promise).status, 'success');
    assert.equal(client.health().eventSource, 'blocks');
    const scanned = p.calls.filter((c) => c.method === 'eth_getBlockReceipts').map((c) => Number(c.params[0]));
    assert.ok(scanned.length > 0, 'block receipts were read');
    const [successBlock] = await eventBlocks(devnet.rpcUrl, devnet.taskAddress, 'TaskSuccess', created.taskId);
    assert.ok(scanned.includes(successBlock), 'the block holding TaskSuccess was scanned');
    const last = p.logRanges.at(-1)!;
    assert.equal(scanned[0], last.from + last.span, 'the receipt scan continued right where eth_getLogs stopped');
    assert.deepEqual(scanned, scanned.map((_, i) => scanned[0] + i), 'block by block, none skipped');
  });
});
