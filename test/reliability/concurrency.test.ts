/**
 * Issue 6, item 4: one wallet, many createTask calls at once, while the RPC loses some of the
 * broadcasts; through the library and through 50 msgs into one crynux-create-task node.
 * (50 parallel calls without faults are also in test/devnet/client-chain.test.ts.) Every
 * failure must be reported, nothing sent twice, and no nonce gap left to block later sends.
 */
import assert from 'node:assert/strict';
import { Wallet } from 'ethers';
import { startDevnet, type Devnet } from '../../devnet';
import type { CrynuxClient } from '../../lib/client';
import { forgetCarryOver } from '../../nodes/shared';
import { startRpcProxy, type RpcProxy } from '../helpers/rpc-proxy';
import { configCredentials, configNode, helper, nodeModule, onTab } from '../nodes/node-helpers';
import { devnetClient, fakeTaskHash, guardProcess, txCount, waitUntil } from './helpers';

const BROKEN = /^(CHAIN_CONNECTION|CHAIN_RPC)$/;

describe('reliability: concurrent createTask from one wallet (issue 6 item 4)', function () {
  this.timeout(90_000);
  let devnet: Devnet;
  let proxy: RpcProxy;
  let guard: ReturnType<typeof guardProcess>;

  before(async () => {
    // No workers: the tasks stay queued and nothing else sends from these wallets.
    devnet = await startDevnet({ workers: 0, queueSizeLimit: 200 });
    proxy = await startRpcProxy(devnet.rpcUrl);
  });
  beforeEach(() => {
    guard = guardProcess();
  });
  afterEach(() => {
    assert.deepEqual(guard.stop(), [], 'no unhandled rejection or uncaught exception');
  });
  after(async () => {
    await proxy?.close();
    await devnet?.stop();
  });

  it('library: 50 parallel calls while 4 broadcasts fail: 47 tasks, 3 clear errors, consecutive nonces, no gap', async () => {
    const client: CrynuxClient = devnetClient(devnet, { rpcUrls: [proxy.url], privateKey: devnet.spareKeys[2] });
    try {
      await client.start();
      const first = await txCount(devnet.rpcUrl, client.address);
      proxy.failCalls('eth_sendRawTransaction', [5, 6], 'error', 'txpool is full');
      proxy.failCalls('eth_sendRawTransaction', [20], 'drop-after'); // the node has it, the answer is lost
      proxy.failCalls('eth_sendRawTransaction', [30], 'drop-before'); // lost on the way to the node

      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          client.createTask({ taskType: 1, taskHash: fakeTaskHash(i + 1), vramLimit: 8, cap: 1, taskFee: 1000n })),
      );
      const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error & { code?: string }] : []));
      const created = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      assert.equal(created.length, 47, errors.map((e) => e.message).join('\n'));
      assert.equal(errors.length, 3);
      assert.ok(errors.every((e) => BROKEN.test(e.code ?? '')), errors.map((e) => e.code).join());
      assert.equal(errors.filter((e) => /txpool is full/.test(e.message)).length, 2, 'the refusal names the RPC\'s reason');
      assert.ok(errors.every((e) => !/nonce/i.test(e.message)), 'no nonce error');
      assert.equal(new Set(created.map((c) => c.taskId)).size, 47);

      const provider = await client.provider();
      const nonces = await Promise.all(created.map(async (c) => (await provider.getTransaction(c.txHash))!.nonce));
      assert.deepEqual([...nonces].sort((a, b) => a - b), Array.from({ length: 47 }, (_, i) => first + i), 'consecutive, none skipped');
      assert.equal(await txCount(devnet.rpcUrl, client.address), first + 47, 'exactly one transaction per created task');
      assert.equal(await txCount(devnet.rpcUrl, client.address, 'pending'), first + 47, 'nothing waits behind a gap');

      const later = await Promise.all([1, 2].map((i) =>
        client.createTask({ taskType: 1, taskHash: fakeTaskHash(100 + i), vramLimit: 8, cap: 1, taskFee: 1000n })));
      assert.equal(later.length, 2);
      assert.equal(await txCount(devnet.rpcUrl, client.address), first + 49, 'later sends go through at once');
    } finally {
      await client.close();
    }
  });

  describe('nodes', () => {
    const MODULES = ['crynux-config', 'crynux-build-task', 'crynux-create-task'].map(nodeModule);
    before(() => helper.startServer());
    after(() => helper.stopServer());
    afterEach(async () => {
      await helper.unload();
      forgetCarryOver('conc-cfg');
    });

    it('50 msgs into one crynux-create-task at once, one broadcast refused: 49 tasks, 1 clear error, no gap', async () => {
      const key = devnet.spareKeys[1];
      const address = new Wallet(key).address;
      await helper.load(MODULES, onTab([
        configNode(devnet, { id: 'conc-cfg', rpcUrls: proxy.url }),
        { id: 'conc-build', type: 'crynux-build-task', version: 1, taskType: 'gpt', gptModel: 'm/m', prompt: '', wires: [['conc-create']] },
        { id: 'conc-create', type: 'crynux-create-task', version: 1, crynux: 'conc-cfg', fee: '0.001', wires: [['conc-out']] },
        { id: 'conc-out', type: 'helper' },
        { id: 'conc-catch', type: 'catch', scope: ['conc-create'], uncaught: false, wires: [['conc-caught']] },
        { id: 'conc-caught', type: 'helper' },
      ]), configCredentials(key, 'conc-cfg'));
      const created: Array<{ crynux: { taskId: string; txHash: string } }> = [];
      const caught: Array<{ error: { message: string } }> = [];
      helper.getNode('conc-out').on('input', (m: (typeof created)[number]) => created.push(m));
      helper.getNode('conc-caught').on('input', (m: (typeof caught)[number]) => caught.push(m));
      await (helper.getNode('conc-cfg') as { getClient(): Promise<unknown> }).getClient();
      const first = await txCount(devnet.rpcUrl, address);

      proxy.failCalls('eth_sendRawTransaction', [10], 'error', 'txpool is full');
      const build = helper.getNode('conc-build');
      for (let i = 0; i < 50; i++) build.receive({ payload: `prompt ${i}` });
      await waitUntil('50 msgs to end', () => created.length + caught.length >= 50);

      assert.equal(created.length, 49, JSON.stringify(caught.map((c) => c.error.message)));
      assert.equal(caught.length, 1);
      assert.match(caught[0].error.message, /txpool is full/);
      assert.doesNotMatch(caught[0].error.message, /nonce/i);
      assert.equal(new Set(created.map((m) => m.crynux.taskId)).size, 49, 'distinct tasks');
      assert.equal(await txCount(devnet.rpcUrl, address), first + 49, 'one transaction per task');
      assert.equal(await txCount(devnet.rpcUrl, address, 'pending'), first + 49, 'no gap');

      build.receive({ payload: 'after the batch' });
      await waitUntil('a later msg to be created', () => created.length === 50);
      assert.equal(await txCount(devnet.rpcUrl, address), first + 50);
    });
  });
});
