/**
 * Retry timing (SPEC §4.6 "retry with backoff, bounded"): delays grow exponentially within
 * their jitter band and never run past the caller's deadline. Fake timers and a stubbed
 * fetch, because only simulated time can show the bounds without a slow test.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { backoffDelay } from '../../lib/relay/backoff';
import { RelayClient } from '../../lib/relay/relay-client';
import { TimeoutError } from '../../lib/errors';

describe('backoff', () => {
  it('stays within [½, 1] × min(max, base·2^(n−1)) for any random value', () => {
    const policy = { baseMs: 100, maxMs: 3000 };
    for (let attempt = 1; attempt <= 12; attempt++) {
      const nominal = Math.min(3000, 100 * 2 ** (attempt - 1));
      for (const r of [0, 0.25, 0.5, 0.999999]) {
        const d = backoffDelay(attempt, policy, () => r);
        assert.ok(d >= nominal / 2 && d <= nominal, `attempt ${attempt}, random ${r}: ${d}`);
      }
    }
  });

  describe('RelayClient.retry under fake timers', () => {
    let clock: sinon.SinonFakeTimers;
    beforeEach(() => {
      clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    });
    afterEach(() => clock.restore());

    function transientRelay(random: () => number) {
      const fetch = sinon.stub().callsFake(async (url: string) =>
        url.endsWith('/v1/now')
          ? new Response(JSON.stringify({ message: 'success', data: { now: Math.floor(Date.now() / 1000) } }))
          : new Response(JSON.stringify({ message: 'validation_error', data: { field_name: 'task_id', message: 'Task not found' } }), { status: 400 }),
      );
      const client = new RelayClient({
        relayUrl: 'http://127.0.0.1:9', privateKey: '22'.repeat(32), fetch: fetch as unknown as typeof globalThis.fetch,
        backoff: { baseMs: 500, maxMs: 8000 }, random,
      });
      return { client, fetch };
    }

    for (const [name, random] of [['lowest', () => 0], ['highest', () => 0.999999]] as const) {
      it(`grows the delays and stops at the deadline (${name} jitter)`, async () => {
        const { client } = transientRelay(random);
        const delays: number[] = [];
        const started = Date.now();
        const run = client.getTask(5n, { timeoutMs: 60_000, onRetry: (i) => delays.push(i.delayMs) });
        const outcome = run.then(() => 'resolved', (err: unknown) => err);
        await clock.tickAsync(61_000);
        const err = await outcome;
        assert.ok(err instanceof TimeoutError, String(err));
        assert.match(err.message, /"Task not found"/);
        assert.ok(Date.now() - started <= 61_000);
        for (let i = 0; i < delays.length - 1; i++) {
          const nominal = Math.min(8000, 500 * 2 ** i);
          assert.ok(delays[i] >= nominal / 2 && delays[i] <= nominal, `retry ${i + 1}: ${delays[i]} ms`);
        }
        const total = delays.reduce((a, b) => a + b, 0);
        assert.ok(total <= 60_000, `slept ${total} ms in a 60 s budget`);
        assert.ok(delays.length >= 8, `only ${delays.length} retries`);
      });
    }
  });
});
