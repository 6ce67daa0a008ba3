/**
 * examples/retry-on-abort.json on a devnet: an aborted task is re-created (fresh seed) until
 * it succeeds, or the flow gives up after three attempts with a clear message.
 */
import assert from 'node:assert/strict';
import { waitUntil } from '../nodes/node-helpers';
import { clickInject, deploy, errorsOf, importForDevnet, useDevnet } from './example-flows';

describe('example: retry on abort (devnet)', function () {
  this.timeout(90_000);
  const devnet = useDevnet();

  it('recovers from a forced abort with a new task', async () => {
    const ex = importForDevnet('retry-on-abort.json', devnet());
    await deploy(ex);
    clickInject(ex, 'fails once');
    await waitUntil(() => ex.seen.images.length === 1 || ex.seen['gave up'].length > 0 || errorsOf(ex).length > 0, 60_000, 'images');
    assert.deepEqual(errorsOf(ex), []);
    assert.deepEqual(ex.seen['gave up'].map((m) => m.payload), []);
    const c = ex.seen.images[0].crynux;
    assert.equal(c.attempt, 1, 'one re-creation after the abort');
    assert.equal(c.status, 'success');
    assert.ok(!JSON.parse(c.taskArgs).prompt.includes('[devnet:error]'), 'the retry dropped the devnet fault');
    assert.equal(ex.seen.images[0].payload.length, 1);
  });

  it('gives up after 3 attempts on a permanent abort, with a clear message', async () => {
    const ex = importForDevnet('retry-on-abort.json', devnet());
    await deploy(ex);
    clickInject(ex, 'fails every time');
    await waitUntil(() => ex.seen['gave up'].length === 1 || ex.seen.images.length > 0 || errorsOf(ex).length > 0, 80_000, 'give up');
    assert.deepEqual(errorsOf(ex), []);
    assert.equal(ex.seen.images.length, 0);
    const gaveUp = ex.seen['gave up'][0];
    assert.match(gaveUp.payload, /^Gave up after 3 attempts: task \d+ was aborted \(Task result illegal\)\.$/);
    assert.equal(gaveUp.crynux.attempt, 2);
  });
});
