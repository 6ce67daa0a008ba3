/**
 * crynux-config and crynux-wallet on a real devnet: the config owns one started client,
 * rejects bad keys and wrong chains with clear errors that never contain the key, and its
 * admin endpoints show address and balance (never the key). The wallet node reports the
 * balance and alerts on its second output below the threshold.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { Wallet } from 'ethers';
import { startDevnet, type Devnet } from '../../devnet';
import { forgetCarryOver } from '../../nodes/shared';
import { catchFlow, configCredentials, configNode, helper, nextMessage, nodeModule, onTab, recordStatus, waitUntil } from './node-helpers';

const NODES = [nodeModule('crynux-config'), nodeModule('crynux-wallet')];

describe('crynux-config and crynux-wallet nodes (devnet)', function () {
  let devnet: Devnet;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    devnet = await startDevnet({ workers: 0 });
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
    await devnet?.stop();
    process.off('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await helper.unload();
    forgetCarryOver('cfg'); // this devnet's records must not reach the next test's
    assert.deepEqual(unhandled, [], 'no unhandled rejections');
  });

  async function load(opts: { config?: Record<string, unknown>; wallet?: Record<string, unknown>; key?: string } = {}) {
    const flow = onTab([
      configNode(devnet, opts.config),
      { id: 'w', type: 'crynux-wallet', name: '', version: 1, crynux: 'cfg', interval: '', wires: [['ok'], ['low']], ...opts.wallet },
      { id: 'ok', type: 'helper' },
      { id: 'low', type: 'helper' },
      ...catchFlow('catcher', 'caught', ['w']),
    ]);
    await helper.load(NODES, flow, configCredentials(opts.key ?? devnet.appPrivateKey));
    return { cfg: helper.getNode('cfg'), wallet: helper.getNode('w'), ok: helper.getNode('ok'), low: helper.getNode('low'), caught: helper.getNode('caught') };
  }

  /** Every string the runtime logged, for "never contains the key" checks. */
  function loggedText(): string {
    return JSON.stringify(helper.log().args.map((a: unknown[]) => a.map((x) => (x instanceof Error ? x.message : x))));
  }

  function assertNoKey(text: string, key: string) {
    const bare = key.replace(/^0x/, '').toLowerCase();
    assert.ok(!text.toLowerCase().includes(bare), 'the private key must never appear');
  }

  describe('crynux-config', () => {
    it('derives the address and starts one shared client (key with or without 0x)', async () => {
      const { cfg } = await load({ key: devnet.appPrivateKey.replace(/^0x/, '') });
      assert.equal(cfg.address, devnet.appAddress);
      assert.equal(cfg.problem, undefined);
      const a = await cfg.getClient();
      const b = await cfg.getClient();
      assert.equal(a, b, 'one client per config node');
      assert.ok((await a.getBalance()) > 0n);
    });

    it('rejects a malformed key without repeating it, in errors, status and logs', async () => {
      const badKey = `0x${'g1'.repeat(32)}`;
      const { cfg, wallet, caught } = await load({ key: badKey });
      const status = recordStatus(wallet);
      assert.equal(cfg.problem?.code, 'CONFIG');
      assert.match(cfg.problem.message, /64 hexadecimal characters/);
      const got = nextMessage(caught);
      wallet.receive({});
      const err = (await got).error;
      assert.match(err.message, /private key/);
      assertNoKey(JSON.stringify(err) + err.message + JSON.stringify(status) + loggedText(), badKey);
    });

    it('reports a missing key', async () => {
      const { cfg } = await load({ key: '' });
      assert.match(cfg.problem.message, /private key is missing/);
    });

    it('names the bad setting', async () => {
      const { cfg } = await load({ config: { taskAddress: '0x1234' } });
      assert.match(cfg.problem.message, /Task contract address must be a contract address/);
      await helper.unload();
      const { cfg: cfg2 } = await load({ config: { rpcUrls: 'ftp://x' } });
      assert.match(cfg2.problem.message, /RPC URL must be an http\(s\) URL/);
    });

    it('fails with a clear error when the RPC serves another chain id', async () => {
      const { wallet, caught } = await load({ config: { chainId: '1' } });
      const got = nextMessage(caught);
      wallet.receive({});
      const err = (await got).error;
      assert.equal(err.code, 'CONFIG');
      assert.match(err.message, /chain/i);
      assert.match(err.message, /10000/);
    });

    it('GET /crynux-config/:id/wallet shows address and balance, never the key', async () => {
      await load();
      const res = await helper.request().get('/crynux-config/cfg/wallet').expect(200);
      assert.equal(res.body.address, devnet.appAddress);
      assert.match(res.body.balance, /^[0-9]+$/);
      assert.ok(Number(res.body.balanceCnx) > 1);
      assert.equal(res.body.low, false);
      assertNoKey(res.text, devnet.appPrivateKey);
      await helper.request().get('/crynux-config/nope/wallet').expect(404);
    });

    it('POST /crynux-config/wallet checks unsaved dialog values, using the stored key when unchanged', async () => {
      await load();
      const spare = devnet.spareKeys[0];
      const body = { rpcUrls: devnet.rpcUrl, chainId: '10000', taskAddress: devnet.taskAddress, relayUrl: devnet.relayUrl, lowBalance: '1' };
      const typed = await helper.request().post('/crynux-config/wallet').send({ ...body, privateKey: spare }).expect(200);
      assert.equal(typed.body.address, new Wallet(spare).address);
      assert.ok(BigInt(typed.body.balance) > 0n);
      assertNoKey(typed.text, spare);

      const stored = await helper.request().post('/crynux-config/wallet').send({ ...body, id: 'cfg', privateKey: '__PWRD__' }).expect(200);
      assert.equal(stored.body.address, devnet.appAddress);
      assertNoKey(stored.text, devnet.appPrivateKey);

      const noTask = await helper.request().post('/crynux-config/wallet').send({ ...body, taskAddress: '', privateKey: spare }).expect(200);
      assert.ok(BigInt(noTask.body.balance) > 0n, 'the balance shows before the Task address is known');

      const wrongChain = await helper.request().post('/crynux-config/wallet').send({ ...body, chainId: '5', privateKey: spare }).expect(200);
      assert.match(wrongChain.body.error, /chain/i);

      const bad = await helper.request().post('/crynux-config/wallet').send({ ...body, privateKey: 'zz'.repeat(32) }).expect(400);
      assert.match(bad.body.error, /64 hexadecimal/);
      assert.ok(!bad.text.includes('zz'.repeat(32)));
      await helper.request().post('/crynux-config/wallet').send(body).expect(400);
    });

    it('closes its client on redeploy and a new config node starts a new one', async () => {
      const { cfg } = await load();
      const first = await cfg.getClient();
      await helper.setFlows(onTab([configNode(devnet, { name: 'changed' })]), 'full', configCredentials(devnet.appPrivateKey));
      await assert.rejects(first.getBalance(), (err: Error & { code?: string }) => err.code === 'CLOSED' || err.code === 'CANCELLED');
      const fresh = helper.getNode('cfg');
      assert.notEqual(await fresh.getClient(), first);
    });
  });

  describe('crynux-wallet', () => {
    it('outputs address and balance on input; green status', async () => {
      const { wallet, ok, low } = await load();
      const status = recordStatus(wallet);
      let lows = 0;
      low.on('input', () => lows++);
      const got = nextMessage(ok);
      wallet.receive({ payload: 'check' });
      const p = (await got).payload;
      assert.equal(p.address, devnet.appAddress);
      assert.ok(BigInt(p.balance) > 10n ** 18n);
      assert.equal(p.threshold, (10n ** 18n).toString());
      assert.equal(p.low, false);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(lows, 0);
      assert.deepEqual(
        status.map((s) => [s.fill, s.text]),
        [
          ['blue', 'crynux-wallet.status.checking'],
          ['green', 'crynux-wallet.status.balance'],
        ],
      );
    });

    it('fires the second output below the threshold (a fresh, unfunded wallet)', async () => {
      const { wallet, ok, low } = await load({ key: Wallet.createRandom().privateKey });
      const status = recordStatus(wallet);
      const first = nextMessage(ok);
      const alert = nextMessage(low);
      wallet.receive({});
      const [a, b] = await Promise.all([first, alert]);
      assert.equal(a.payload.balance, '0');
      assert.equal(b.payload.low, true);
      assert.notEqual(a, b, 'each output gets its own msg');
      assert.deepEqual(status.at(-1), { fill: 'yellow', shape: 'ring', text: 'crynux-wallet.status.low' });
    });

    it('checks on its interval and stops the timer on close', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        const { ok } = await load({ wallet: { interval: '30' } });
        const got = nextMessage(ok);
        clock.tick(30_000);
        assert.equal((await got).payload.address, devnet.appAddress);
        await helper.unload();
        assert.equal(clock.countTimers(), 0, 'interval cleared on close');
      } finally {
        clock.restore();
      }
    });

    it('flags a bad interval at deploy (logged error naming the setting)', async () => {
      await load({ wallet: { interval: '1' } });
      const entry = await waitUntil(
        () => helper.log().args.map((a: any[]) => a[0]).find((e: any) => e?.id === 'w' && e.level === helper.log().ERROR),
        2000,
        'an error log of the wallet node',
      );
      assert.match(String(entry.msg), /Setting "interval" must be empty\/0 \(off\) or from 5 to 2147483 seconds/);
    });

    it('with a bad interval refuses every msg (Catch node) instead of running on a default', async () => {
      const { wallet, ok, caught } = await load({ wallet: { interval: 'hourly' } });
      const outputs: unknown[] = [];
      ok.on('input', (m: unknown) => outputs.push(m));
      const status = recordStatus(wallet);
      const got = nextMessage(caught);
      wallet.receive({});
      const err = (await got).error;
      assert.equal(err.code, 'CONFIG');
      assert.equal(err.message, 'ConfigError: Setting "interval" must be empty/0 (off) or from 5 to 2147483 seconds');
      assert.deepEqual(outputs, [], 'no balance was sent');
      assert.equal(status.at(-1)?.fill, 'red');
    });

    it('fails with a clear error when no config node is selected (Catch node)', async () => {
      const { wallet, caught } = await load({ wallet: { crynux: '' } });
      const got = nextMessage(caught);
      wallet.receive({});
      const err = (await got).error;
      assert.match(err.message, /No Crynux network is selected/);
    });
  });
});
