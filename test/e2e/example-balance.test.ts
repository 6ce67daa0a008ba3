/**
 * examples/balance-alert.json on a devnet: the inject node fires once at start and asks the
 * wallet node for the balance; the alert text appears only below the threshold.
 */
import assert from 'node:assert/strict';
import { waitUntil } from '../nodes/node-helpers';
import { clickInject, deploy, errorsOf, importForDevnet, useDevnet } from './example-flows';
import { sleep } from './devnet-flow';

describe('example: balance alert (devnet)', function () {
  this.timeout(60_000);
  const devnet = useDevnet();

  it('reports the balance on its own at start; no alert above the threshold', async () => {
    const ex = importForDevnet('balance-alert.json', devnet());
    await deploy(ex);
    await waitUntil(() => ex.seen.balance.length === 1 || errorsOf(ex).length > 0, 20_000, 'balance at start');
    assert.deepEqual(errorsOf(ex), []);
    assert.ok(Number(ex.seen.balance[0].payload.balanceCnx) > 10);
    // Both outputs are sent together: no alert now means none for this check.
    await sleep(50);
    assert.equal(ex.seen['low balance'].length, 0);
  });

  it('with the threshold above the balance, the alert text reaches its debug node', async () => {
    const ex = importForDevnet('balance-alert.json', devnet(), { lowBalance: '100000000' });
    await deploy(ex);
    clickInject(ex, 'every 10 minutes');
    await waitUntil(() => ex.seen['low balance'].length >= 1 || errorsOf(ex).length > 0, 20_000, 'alert');
    assert.deepEqual(errorsOf(ex), []);
    const address = devnet().appAddress;
    assert.match(ex.seen['low balance'][0].payload, new RegExp(`^Crynux wallet ${address} is low: [0-9.]+ CNX \\(alert below 100000000\\.0 CNX\\)$`));
  });
});
