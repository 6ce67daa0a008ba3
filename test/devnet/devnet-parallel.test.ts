/**
 * Two devnets side by side: free ports, separate temp folders, independent chains. The
 * second one also has a lagging relay (SPEC §4.4), which workers and clients must wait out.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startDevnet, type Devnet } from '../../devnet';
import { TestApp } from './devnet-helpers';

describe('devnet: two in parallel', function () {
  this.timeout(120_000);
  let nets: Devnet[] = [];

  before(async () => {
    nets = await Promise.all([startDevnet(), startDevnet({ chainId: 31337, relayLagMs: 700 })]);
  });
  after(async () => {
    await Promise.all(nets.map((n) => n.stop()));
  });

  it('listen on different ports and run a GPT task each, at the same time', async () => {
    const [a, b] = nets;
    assert.notEqual(a.rpcUrl, b.rpcUrl);
    assert.notEqual(a.relayUrl, b.relayUrl);
    assert.deepEqual([a.chainId, b.chainId], [10000, 31337]);
    const results = await Promise.all(
      nets.map(async (net, i) => {
        const app = new TestApp(net.rpcUrl, net.relayUrl, net.taskAddress, net.appPrivateKey);
        const args = JSON.stringify({ model: 'gpt2', messages: [{ role: 'user', content: `devnet ${i}` }], seed: i });
        const id = await app.createTask(1, args);
        assert.equal((await app.uploadArgsWhenIndexed(id, args)).status, 200);
        const done = await app.firstTerminal(id);
        assert.equal(done.name, 'TaskSuccess');
        await app.waitForEvent(id, (es) => es.find((e) => e.name === 'TaskResultUploaded'));
        const file = await app.download(id, '0');
        assert.equal(done.name === 'TaskSuccess' && done.result, `0x${createHash('sha256').update(file.bytes).digest('hex')}`);
        return file.text;
      }),
    );
    assert.match(results[0], /devnet 0/);
    assert.match(results[1], /devnet 1/);
  });

  it('stop() is idempotent and leaves the other devnet running', async () => {
    const [a, b] = nets;
    await a.stop();
    await a.stop();
    await assert.rejects(fetch(`${a.relayUrl}/v1/now`));
    await assert.rejects(fetch(a.rpcUrl, { method: 'POST', body: '{}' }));
    assert.equal((await fetch(`${b.relayUrl}/v1/now`)).status, 200);
  });
});
