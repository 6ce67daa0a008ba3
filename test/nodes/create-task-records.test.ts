/**
 * crynux-create-task's housekeeping of its tracked jobs: a day after their last change it
 * forgets the jobs that can no longer matter (delivered, or never signed), and keeps every
 * job whose transaction may be on chain, and every other node's job.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import type { Devnet } from '../../devnet';
import { forgetCarryOver } from '../../nodes/shared';
import type { CrynuxClient } from '../../lib/client';
import { clientOf, configCredentials, configNode, CONFIG_ID } from '../e2e/devnet-flow';
import { fakeTaskHash } from '../devnet/client-helpers';
import { helper, nodeModule, onTab, useDevnet } from './node-helpers';

const NODES = ['crynux-config', 'crynux-create-task'].map(nodeModule);
const DAY_MS = 24 * 3600 * 1000;

describe('crynux-create-task: forgetting old tracked jobs (devnet)', function () {
  this.timeout(60_000);
  let devnet: Devnet;

  useDevnet({ workers: 0 }, (d) => (devnet = d));
  afterEach(async () => {
    sinon.restore();
    await helper.unload();
    forgetCarryOver(CONFIG_ID);
  });

  const flow = () => onTab([configNode(devnet), { id: 'c', type: 'crynux-create-task', version: 1, crynux: CONFIG_ID, fee: '1', wires: [[]] }]);
  const load = () => helper.load(NODES, flow(), configCredentials(devnet.appPrivateKey));

  /** Writes records as if `ageMs` ago (the tracker stamps updatedAt from Date). */
  async function aged<T>(ageMs: number, write: () => Promise<T>): Promise<T> {
    const clock = sinon.useFakeTimers({ now: Date.now() - ageMs, toFake: ['Date'], shouldAdvanceTime: true });
    try {
      return await write();
    } finally {
      clock.restore();
    }
  }

  it('drops delivered and never-signed jobs older than a day; keeps sent, recent and other nodes\' jobs', async () => {
    await load();
    const client: CrynuxClient = await clientOf();
    const key = (id: string, node = 'c') => `create:${node}:${id}:0`;
    // Kept first, dropped last: once the last is gone, every record has been looked at.
    await client.updateTracked(key('recent-unsigned'), { stage: 'creating' });
    await aged(2 * DAY_MS, () => client.updateTracked(key('other-node', 'x'), { stage: 'delivered' }));
    await aged(2 * DAY_MS, () =>
      client.createTask({ taskType: 0, taskHash: fakeTaskHash(7), vramLimit: 8, cap: 1, taskFee: 10n ** 15n }, { track: { key: key('old-sent'), stage: 'creating' } }),
    );
    await aged(2 * DAY_MS, () => client.updateTracked(key('old-delivered'), { stage: 'delivered' }));
    await aged(2 * DAY_MS, () => client.updateTracked(key('old-unsigned'), { stage: 'creating' }));
    assert.equal((await client.listTracked()).length, 5);

    // A redeploy starts a new create-task, which tidies up at start.
    await helper.setFlows(flow(), 'full', configCredentials(devnet.appPrivateKey));
    const after = await clientOf();
    let left: string[] = [];
    for (const end = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 50))) {
      left = (await after.listTracked()).map((r) => r.key);
      if (!left.includes(key('old-unsigned'))) break;
      assert.ok(Date.now() < end, `the old never-signed job was not forgotten: ${left.join(', ')}`);
    }
    assert.deepEqual([...left].sort(), [key('old-sent'), key('other-node', 'x'), key('recent-unsigned')].sort());
  });
});
