/**
 * The devnet chain launcher on the real anvil binary: free ports, chain id, legacy gas price
 * (SPEC §1.3, §8 item 29), time and snapshot helpers, and the well-known accounts.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { JsonRpcProvider, Wallet } from 'ethers';
import { DEVNET_ACCOUNTS } from '../../devnet/chain/accounts';
import {
  increaseTime, latestTimestamp, mine, reorg, revertTo, rpcCall, snapshot, startAnvil, type AnvilHandle,
} from '../../devnet/chain/anvil';
import { describeWithShared, readShared } from '../helpers/shared';

async function blockNumber(url: string): Promise<number> {
  return Number(BigInt(await rpcCall<string>(url, 'eth_blockNumber')));
}

describe('devnet chain: anvil launcher', function () {
  let a: AnvilHandle;
  before(async () => {
    a = await startAnvil();
  });
  after(async () => {
    await a?.stop();
  });

  it('listens on 127.0.0.1 with chain id 10000 and funds the 10 devnet accounts', async () => {
    assert.match(a.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(a.rpcUrl, `http://127.0.0.1:${a.port}`);
    assert.equal(a.chainId, 10000);
    assert.equal(await rpcCall(a.rpcUrl, 'eth_chainId'), '0x2710');
    const accounts = await rpcCall<string[]>(a.rpcUrl, 'eth_accounts');
    assert.deepEqual(accounts.map((x) => x.toLowerCase()), DEVNET_ACCOUNTS.map((x) => x.address.toLowerCase()));
  });

  it('a port in use fails at once, saying what to do', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await assert.rejects(startAnvil({ port }), {
        message: `anvil: port ${port} is in use: stop the other devnet or pass --rpc-port 0 (a free port)`,
      });
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('DEVNET_ACCOUNTS: 10 key/address pairs that belong together', () => {
    assert.equal(DEVNET_ACCOUNTS.length, 10);
    for (const acc of DEVNET_ACCOUNTS) assert.equal(new Wallet(acc.privateKey).address, acc.address);
    assert.equal(new Set(DEVNET_ACCOUNTS.map((x) => x.address)).size, 10);
  });

  it('accepts legacy (type 0) transactions at the 2024 clients\' 10 wei gas price and 5 M gas', async () => {
    const provider = new JsonRpcProvider(a.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, batchStallTime: 0 });
    try {
      const w = new Wallet(DEVNET_ACCOUNTS[9].privateKey, provider);
      const tx = await w.sendTransaction({ to: DEVNET_ACCOUNTS[8].address, value: 1n, type: 0, gasPrice: 10n, gasLimit: 5_000_000n, chainId: 10000n });
      const receipt = await tx.wait();
      assert.equal(receipt?.status, 1);
      assert.equal(receipt?.type, 0);
    } finally {
      provider.destroy();
    }
  });

  it('mine, increaseTime, snapshot/revertTo and reorg', async () => {
    const b0 = await blockNumber(a.rpcUrl);
    await mine(a.rpcUrl, 3);
    assert.equal(await blockNumber(a.rpcUrl), b0 + 3);
    const t0 = await latestTimestamp(a.rpcUrl);
    await increaseTime(a.rpcUrl, 901);
    assert.ok((await latestTimestamp(a.rpcUrl)) >= t0 + 901);

    const id = await snapshot(a.rpcUrl);
    const b1 = await blockNumber(a.rpcUrl);
    await mine(a.rpcUrl, 5);
    await revertTo(a.rpcUrl, id);
    assert.equal(await blockNumber(a.rpcUrl), b1);

    const head = await rpcCall<{ hash: string }>(a.rpcUrl, 'eth_getBlockByNumber', ['latest', false]);
    await reorg(a.rpcUrl, 2);
    const after = await rpcCall<{ hash: string; number: string }>(a.rpcUrl, 'eth_getBlockByNumber', [`0x${b1.toString(16)}`, false]);
    assert.notEqual(after.hash, head.hash, 'the head block was replaced');
  });

  it('helpers reject bad arguments with the field named', async () => {
    await assert.rejects(mine(a.rpcUrl, 0), /mine: blocks must be a positive integer/);
    await assert.rejects(increaseTime(a.rpcUrl, -1), /increaseTime: seconds/);
    await assert.rejects(startAnvil({ blockTime: -1 }), /blockTime must be a positive number/);
    await assert.rejects(startAnvil({ mixedMining: true }), /mixedMining needs blockTime/);
    await assert.rejects(revertTo(a.rpcUrl, '0x999'), /snapshot 0x999 not found|evm_revert/);
  });
});

describe('devnet chain: several anvils', function () {
  it('two start in parallel on different ports, each with its own chain; stop() frees the port', async () => {
    const [x, y] = await Promise.all([startAnvil(), startAnvil({ chainId: 31337 })]);
    try {
      assert.notEqual(x.port, y.port);
      assert.equal(await rpcCall(x.rpcUrl, 'eth_chainId'), '0x2710');
      assert.equal(await rpcCall(y.rpcUrl, 'eth_chainId'), '0x7a69');
      await mine(x.rpcUrl, 4);
      assert.equal(await blockNumber(y.rpcUrl), 0, 'separate chains');
    } finally {
      await Promise.all([x.stop(), y.stop()]);
    }
    await assert.rejects(rpcCall(x.rpcUrl, 'eth_chainId'));
    await x.stop(); // idempotent
  });

  it('mixed mining: transactions are mined at once and blocks keep coming while idle', async () => {
    const m = await startAnvil({ blockTime: 1, mixedMining: true });
    try {
      const provider = new JsonRpcProvider(m.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, batchStallTime: 0 });
      const w = new Wallet(DEVNET_ACCOUNTS[3].privateKey, provider);
      const tx = await w.sendTransaction({ to: DEVNET_ACCOUNTS[4].address, value: 1n, type: 0, gasPrice: 10n, gasLimit: 21000n });
      const receipt = await provider.getTransactionReceipt(tx.hash);
      provider.destroy();
      assert.equal(receipt?.status, 1, 'automined: the receipt exists right after sending');
      const start = await blockNumber(m.rpcUrl);
      // wait (bounded) for an interval block; the suite timeout is the failure, not a clock
      for (let i = 0; i < 100 && (await blockNumber(m.rpcUrl)) === start; i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok((await blockNumber(m.rpcUrl)) > start);
    } finally {
      await m.stop();
    }
  });

  it('forwards anvil\'s output lines to log()', async () => {
    const lines: string[] = [];
    const m = await startAnvil({ log: (l) => lines.push(l) });
    await m.stop();
    assert.ok(lines.some((l) => l.includes(`Listening on 127.0.0.1:${m.port}`)));
  });
});

describeWithShared('devnet chain: accounts vs vectors.json', () => {
  it('the log vectors\' creator and selected node are devnet accounts 0 and 1', () => {
    const v = readShared<{ logs: { addresses: { creator: string; selected_node: string } } }>('vectors.json');
    assert.equal(DEVNET_ACCOUNTS[0].address, v.logs.addresses.creator);
    assert.equal(DEVNET_ACCOUNTS[1].address, v.logs.addresses.selected_node);
  });
});
