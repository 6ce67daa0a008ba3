/**
 * Issue 6, item 1 at the library level: the process dies (SIGKILL, in a child process) while
 * its tracked createTask is pending, and a new process with the same store never pays twice
 * for that job: a transaction the node has is followed; one that never reached the node is
 * broadcast again as the very same signed bytes (same nonce, same hash). Resuming a created
 * task after a restart is in test/devnet/client-watcher.test.ts; unanswered broadcasts without
 * a crash in test/devnet/client-unanswered-send.test.ts; the Node-RED runtime restart in
 * restart-runtime.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Wallet } from 'ethers';
import { rpcCall } from '../../devnet/chain/anvil';
import { JsonFileStore } from '../../lib/tracker';
import type { CrynuxClient } from '../../lib/client';
import { startRpcProxy, type RpcProxy } from '../helpers/rpc-proxy';
import { chainClient, fakeTaskHash, guardProcess, startChainOnly, txCount, type ChainOnly } from './helpers';

const CHILD = path.join(__dirname, 'fixtures', 'crash-child.js');

describe('reliability: a crash while createTask is pending (issue 6 item 1, library)', function () {
  this.timeout(60_000);
  let devnet: ChainOnly;
  let proxy: RpcProxy;
  let dir: string;
  const clients: CrynuxClient[] = [];
  let guard: ReturnType<typeof guardProcess>;
  let address: string;

  before(async () => {
    // Only anvil and the contracts, automine only: with it off, a transaction stays pending.
    devnet = await startChainOnly();
    proxy = await startRpcProxy(devnet.rpcUrl);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-crash-'));
    address = new Wallet(devnet.keys[0]).address;
  });
  beforeEach(() => {
    guard = guardProcess();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await rpcCall(devnet.rpcUrl, 'evm_setAutomine', [true]);
    assert.deepEqual(guard.stop(), [], 'no unhandled rejection or uncaught exception');
  });
  after(async () => {
    await proxy?.close();
    await devnet?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the child until `until` says so, then kills it with SIGKILL. */
  async function crashChild(storeFile: string, key: string, n: number, until: (line: string) => boolean | Promise<boolean>): Promise<string[]> {
    const config = {
      rpcUrl: proxy.url, chainId: devnet.chainId, taskAddress: devnet.taskAddress, taskQueueAddress: devnet.taskQueueAddress,
      relayUrl: 'http://127.0.0.1:9', privateKey: devnet.keys[0], storeFile, key, taskHash: fakeTaskHash(n), taskFee: '12345',
    };
    const child = spawn(process.execPath, [CHILD], { env: { ...process.env, CRYNUX_CRASH_CHILD: JSON.stringify(config) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const lines: string[] = [];
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      for await (const line of readline.createInterface({ input: child.stdout })) {
        lines.push(line);
        if (await until(line)) break;
      }
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    assert.ok(!lines.some((l) => l.startsWith('CREATED') || l.startsWith('FAILED')), `the child got no further: ${lines.join(' | ')} ${stderr}`);
    return lines;
  }

  function restarted(storeFile: string): CrynuxClient {
    const c = chainClient(devnet, { rpcUrls: [proxy.url], store: new JsonFileStore(storeFile) });
    clients.push(c);
    return c;
  }

  it('killed after broadcasting: the restarted client follows the pending transaction and sends nothing', async () => {
    const storeFile = path.join(dir, 'pending.json');
    const req = { taskType: 1 as const, taskHash: fakeTaskHash(1), vramLimit: 8, cap: 1, taskFee: 12345n };
    const sent = await txCount(devnet.rpcUrl, address);
    await rpcCall(devnet.rpcUrl, 'evm_setAutomine', [false]);
    const lines = await crashChild(storeFile, 'job-pending', 1, (l) => l.startsWith('SENT'));
    const txHash = lines.find((l) => l.startsWith('SENT'))!.split(' ')[1];
    assert.equal(await txCount(devnet.rpcUrl, address, 'pending'), sent + 1, 'the transaction waits in the pool');
    assert.equal(await rpcCall(devnet.rpcUrl, 'eth_getTransactionReceipt', [txHash]), null, 'not mined yet');

    const client = restarted(storeFile);
    await client.start();
    const [rec] = await client.listTracked();
    assert.deepEqual([rec.key, rec.txHash, rec.taskId, rec.snapshot], ['job-pending', txHash, undefined, { payload: 'hello', _msgid: 'm1' }]);
    const resumed = client.createTask(req, { track: { key: 'job-pending' } });
    await proxy.waitForCalls('eth_getTransactionByHash');
    await rpcCall(devnet.rpcUrl, 'evm_mine', []);
    const created = await resumed;
    assert.equal(created.txHash, txHash, 'the pending transaction was followed');
    assert.equal(created.taskFee, '12345');
    assert.equal(await txCount(devnet.rpcUrl, client.address), sent + 1, 'one createTask in all');
    const [after] = await client.listTracked();
    assert.equal(after.taskId, created.taskId, 'the record now holds the task id');
  });

  it('killed between recording the signed transaction and broadcasting it: the restart sends those same bytes, once', async () => {
    const storeFile = path.join(dir, 'unsent.json');
    const sent = await txCount(devnet.rpcUrl, address, 'pending');
    proxy.failCalls('eth_sendRawTransaction', [1], 'hang'); // the broadcast never reaches the node
    const broadcast = proxy.waitForCalls('eth_sendRawTransaction');
    await crashChild(storeFile, 'job-unsent', 2, async (l) => l === 'STARTED' && (await broadcast, true));
    const [rec] = await new JsonFileStore(storeFile).get('crynux_tasks').then((v) => Object.values(v as Record<string, { txHash?: string }>));
    assert.match(rec.txHash ?? '', /^0x[0-9a-f]{64}$/, 'the hash was recorded before the broadcast');
    assert.equal(await rpcCall(devnet.rpcUrl, 'eth_getTransactionByHash', [rec.txHash]), null, 'the node never saw it');

    const client = restarted(storeFile);
    const created = await client.createTask({ taskType: 1, taskHash: fakeTaskHash(2), vramLimit: 8, cap: 1, taskFee: 12345n }, { track: { key: 'job-unsent' } });
    assert.equal(created.txHash, rec.txHash, 'the recorded transaction itself was sent (same nonce, same hash)');
    assert.equal(await txCount(devnet.rpcUrl, client.address, 'pending'), sent + 1, 'one createTask in all');
  });
});
