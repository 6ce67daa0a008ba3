/**
 * A chain reset under a persistent store: a devnet restarted (or a testnet relaunched) keeps
 * its chain id and contract addresses, and its task ids start from 1 again. What a client
 * saved on the old chain must neither be resumed nor answer for the new one: records are
 * scoped to the genesis block hash, kept for their own chain, and invisible elsewhere.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rpcCall } from '../../devnet/chain/anvil';
import { JsonFileStore } from '../../lib/tracker';
import type { CrynuxClient } from '../../lib/client';
import type { Logger } from '../../lib/client-types';
import { startDevnet, type Devnet } from '../../devnet';
import { buildSdTaskArgs } from '../../lib/task-args';
import { chainClient, devnetClient, fakeTaskHash, guardProcess, startChainOnly, txCount, waitUntil, type ChainOnly } from './helpers';

describe('reliability: a chain reset with the same chain id and addresses (persistent store)', function () {
  this.timeout(60_000);
  let dir: string;
  const chains: ChainOnly[] = [];
  const devnets: Devnet[] = [];
  const clients: CrynuxClient[] = [];
  let guard: ReturnType<typeof guardProcess>;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-reset-'));
    guard = guardProcess();
  });
  after(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const c of chains.splice(0)) await c.stop().catch(() => undefined);
    for (const d of devnets.splice(0)) await d.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(guard.stop(), [], 'no unhandled rejection or uncaught exception');
  });

  const request = (n: number) => ({ taskType: 0 as const, taskHash: fakeTaskHash(n), vramLimit: 8, cap: 1, taskFee: 12345n });
  const genesisOf = async (rpcUrl: string) => ((await rpcCall(rpcUrl, 'eth_getBlockByNumber', ['0x0', false])) as { hash: string }).hash;

  it('the new chain neither resumes nor joins the old chain\'s jobs; the old records stay for their chain', async () => {
    const file = path.join(dir, 'store.json');
    const first = await startChainOnly();
    chains.push(first);
    const a = chainClient(first, { store: new JsonFileStore(file) });
    clients.push(a);
    const old = await a.createTask(request(1), { track: { key: 'job', snapshot: { n: 1 } } });
    assert.equal(old.taskId, '1');
    const genesisA = await genesisOf(first.rpcUrl);
    assert.deepEqual(await a.chain(), { chainId: first.chainId, genesisHash: genesisA });
    await a.close();
    await first.stop();

    const second = await startChainOnly();
    chains.push(second);
    assert.equal(second.chainId, first.chainId);
    assert.equal(second.taskAddress, first.taskAddress, 'the same addresses: only the genesis tells them apart');
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
    const b = chainClient(second, { store: new JsonFileStore(file), logger });
    clients.push(b);
    assert.notEqual((await b.chain()).genesisHash, genesisA);
    assert.deepEqual(await b.listTracked(), [], 'nothing of the old chain to resume');
    assert.match(warnings.join('\n'), /1 tracked job\(s\) .* another chain .* not resumed/);

    // The same key on the new chain pays for a real task there, instead of "joining" task 1 of the
    // old chain (which, on this chain, does not exist or is somebody else's).
    const sent = await txCount(second.rpcUrl, b.address);
    const created = await b.createTask(request(2), { track: { key: 'job' } });
    assert.equal(await txCount(second.rpcUrl, b.address), sent + 1, 'a transaction on the new chain');
    assert.notEqual(created.txHash, old.txHash);
    const receipt = (await rpcCall(second.rpcUrl, 'eth_getTransactionReceipt', [created.txHash])) as { status: string } | null;
    assert.equal(receipt?.status, '0x1');

    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, { taskId?: string; genesisHash?: string }>>;
    const records = Object.values(raw.crynux_tasks);
    assert.equal(records.length, 1, 'the key now belongs to the new chain\'s job');
    assert.equal(records[0].genesisHash, await genesisOf(second.rpcUrl));
  });

  it('an undelivered record of the old chain survives the new chain\'s work untouched', async () => {
    const file = path.join(dir, 'kept.json');
    const first = await startChainOnly();
    chains.push(first);
    const a = chainClient(first, { store: new JsonFileStore(file) });
    clients.push(a);
    const old = await a.createTask(request(3), { track: { key: 'old-job', snapshot: { n: 3 } } });
    const genesisA = (await a.chain()).genesisHash;
    await a.close();
    await first.stop();

    const second = await startChainOnly();
    chains.push(second);
    const b = chainClient(second, { store: new JsonFileStore(file) });
    clients.push(b);
    const created = await b.createTask(request(4), { track: { key: 'new-job' } });
    assert.equal(created.taskId, old.taskId, 'task ids start again from 1');
    await b.untrack('old-job'); // not this chain's: left alone
    await b.close();

    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { crynux_tasks: Record<string, { taskId?: string; txHash?: string; genesisHash?: string }> };
    assert.deepEqual(
      [raw.crynux_tasks['old-job']?.txHash, raw.crynux_tasks['old-job']?.genesisHash],
      [old.txHash, genesisA],
      'the old chain\'s job is kept as it was',
    );
  });

  it('a client whose RPC comes back as a new devnet on the same port stops, and never cancels the new chain\'s task 1', async () => {
    const first = await startDevnet({ workers: 3, taskTimeoutSeconds: 60 });
    devnets.push(first);
    const port = Number(new URL(first.rpcUrl).port);
    const a = devnetClient(first, { pollIntervalMs: 100 });
    clients.push(a);
    const built = buildSdTaskArgs({ prompt: 'old chain [devnet:stuck]', numImages: 1 });
    const old = await a.createTask({ ...built, taskFee: 12345n });
    await a.uploadTaskArgs(old.taskId, built.taskArgs, { timeoutMs: 30_000 });
    // Timed out at once, it tries on every poll to cancel the task once the deadline has passed.
    const waiting = a.waitForOutcome(old.taskId, { fromBlock: old.blockNumber, timeoutMs: 1, cancelOnTimeout: true });
    waiting.catch(() => undefined);
    await first.stop();

    const second = await startDevnet({ workers: 3, taskTimeoutSeconds: 60, rpcPort: port });
    devnets.push(second);
    assert.equal(second.rpcUrl, first.rpcUrl, 'the same URL, another chain');
    const b = devnetClient(second, { pollIntervalMs: 100 });
    clients.push(b);
    const created = await b.createTask({ ...buildSdTaskArgs({ prompt: 'new chain [devnet:stuck]', numImages: 1 }), taskFee: 12345n });
    assert.equal(created.taskId, old.taskId, 'the same task id on the new chain');
    await second.increaseTime(61); // past its deadline: the old client's cancel would now go through

    await waitUntil('the old client to refuse the new chain', () => /serves another chain/.test(a.health().lastError ?? ''));
    await assert.rejects(a.getBalance(), /serves another chain with chain id 10000/);
    assert.equal((await b.getTaskInfo(created.taskId)).state, 'running', 'the new chain\'s task was not cancelled');
  });
});
