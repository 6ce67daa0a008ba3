/**
 * Issue 6, item 5: relay faults. The devnet relay runs 1.5 s behind the chain, and a proxy in
 * front of it (relay-proxy.ts) injects 5xx bursts, requests that never get an answer and
 * slow answers. Uploads and downloads must retry with backoff and jitter until they succeed,
 * and stop at the caller's timeout with an error that names the relay's last answer. (The
 * backoff bounds themselves are unit-tested with fake timers in test/unit/client-backoff.test.ts.)
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startDevnet, type Devnet } from '../../devnet';
import { RelayClient } from '../../lib/relay/relay-client';
import { downloadResults } from '../../lib/relay/download';
import { TimeoutError } from '../../lib/errors';
import { buildGptTaskArgs } from '../../lib/task-args';
import type { CrynuxClient } from '../../lib/client';
import { startRelayProxy, type RelayProxy } from './relay-proxy';
import { devnetClient, guardProcess } from './helpers';

const FEE = 10n ** 15n;
const LAG_MS = 1500;
const BACKOFF = { baseMs: 40, maxMs: 400 };

describe('reliability: relay faults (issue 6 item 5)', function () {
  this.timeout(90_000);
  let devnet: Devnet;
  let proxy: RelayProxy;
  let chain: CrynuxClient;
  let guard: ReturnType<typeof guardProcess>;

  before(async () => {
    devnet = await startDevnet({ workers: 3, relayLagMs: LAG_MS });
    chain = devnetClient(devnet);
    await chain.start();
  });
  beforeEach(async () => {
    guard = guardProcess();
    proxy = await startRelayProxy(devnet.relayUrl);
  });
  afterEach(async () => {
    await proxy.close();
    assert.deepEqual(guard.stop(), [], 'no unhandled rejection or uncaught exception');
  });
  after(async () => {
    await chain?.close();
    await devnet?.stop();
  });

  const relayClient = (requestTimeoutMs = 5000) =>
    new RelayClient({ relayUrl: proxy.url, privateKey: devnet.appPrivateKey, backoff: BACKOFF, requestTimeoutMs });

  it('uploads and downloads through 5xx bursts, unanswered and slow requests, and a lagging relay', async () => {
    const relay = relayClient(300);
    const built = buildGptTaskArgs({ model: 'm/m', prompt: 'relay faults' });
    const created = await chain.createTask({ ...built, taskFee: FEE });
    proxy.faults.push(
      { kind: 'status', status: 503, body: 'Service Unavailable' },
      { kind: 'status', status: 502, body: '<html>Bad Gateway</html>' },
      { kind: 'hang' },
      { kind: 'slow', delayMs: 200 }, // slower than usual, within the request timeout: not a failure
    );
    const retries: Array<{ attempt: number; delayMs: number; reason: string }> = [];
    await relay.uploadTaskArgs(BigInt(created.taskId), built.taskArgs, { timeoutMs: 30_000, onRetry: (r) => retries.push(r) });
    const reasons = retries.map((r) => r.reason);
    const expected = [/503.*Service Unavailable/, /502.*Bad Gateway/, /no answer within (300 ms|0\.3 s)/];
    expected.forEach((re, i) => assert.match(reasons[i] ?? '', re, `retry ${i + 1} names the fault: ${JSON.stringify(reasons)}`));
    assert.ok(proxy.requests.some((r) => r.handled === 'slow' && r.status !== undefined), 'the slow answer was waited for');
    assert.deepEqual(retries.map((r) => r.attempt), retries.map((_, i) => i + 1));
    for (const r of retries) {
      const nominal = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** (r.attempt - 1));
      assert.ok(r.delayMs >= nominal / 2 && r.delayMs <= nominal, `retry ${r.attempt} waited ${r.delayMs} ms (nominal ${nominal})`);
    }
    assert.ok(retries.some((r) => r.delayMs !== Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** (r.attempt - 1))), 'the delays are jittered');

    const outcome = await chain.waitForOutcome(created.taskId, { fromBlock: created.blockNumber, timeoutMs: 30_000 });
    assert.equal(outcome.status, 'success');
    if (outcome.status !== 'success') return;
    // Straight after TaskSuccess: the lagging relay has not seen the upload yet, and the proxy fails more.
    proxy.faults.push({ kind: 'status', status: 504 }, { kind: 'hang' }, { kind: 'status', status: 500, body: 'internal error' });
    const downloadRetries: string[] = [];
    const { files } = await downloadResults(relay, BigInt(created.taskId), 1, {
      result: outcome.result, timeoutMs: 30_000, onRetry: (r) => downloadRetries.push(r.reason),
    });
    assert.equal(`0x${createHash('sha256').update(files[0]).digest('hex')}`, outcome.result, 'the file is intact');
    [/504/, /no answer within (300 ms|0\.3 s)/, /500|internal error/].forEach((re, i) =>
      assert.match(downloadRetries[i] ?? '', re, `download retry ${i + 1} names the fault: ${JSON.stringify(downloadRetries)}`));
  });

  it('waits out the relay lag after createTask ("Task not found…" is retried), through the CrynuxClient', async () => {
    const built = buildGptTaskArgs({ model: 'm/m', prompt: 'lagging relay' });
    const created = await chain.createTask({ ...built, taskFee: FEE });
    const client = devnetClient(devnet, { relayUrl: proxy.url });
    try {
      const reasons: string[] = [];
      await client.uploadTaskArgs(created.taskId, built.taskArgs, { timeoutMs: 30_000, onRetry: (r) => reasons.push(r.reason) });
      assert.ok(reasons.length > 0 && reasons.every((r) => /^Task not found/.test(r)), JSON.stringify(reasons));
    } finally {
      await client.close();
    }
  });

  it('gives up at the caller\'s timeout with a TimeoutError naming the last answer (5xx forever)', async () => {
    proxy.always = { kind: 'status', status: 503, body: 'upstream overloaded' };
    const retries: number[] = [];
    await assert.rejects(
      relayClient().uploadTaskArgs(1n, '{"x":1}', { timeoutMs: 1500, onRetry: (r) => retries.push(r.delayMs) }),
      (err: unknown) => err instanceof TimeoutError && err.code === 'TIMEOUT' && /last answer was ".*upstream overloaded.*"/.test(err.message) && /gave up after/.test(err.message),
    );
    assert.ok(retries.length >= 2, 'it retried before giving up');
    assert.ok(retries.reduce((a, b) => a + b, 0) <= 1500, 'the waits fit in the timeout');
    // Every retry is one more request (the last may be cut short by the deadline before it is sent).
    assert.ok(proxy.requests.length >= retries.length && proxy.requests.length <= retries.length + 1, `${proxy.requests.length} requests, ${retries.length} retries`);
  });

  it('gives up at the caller\'s timeout when the relay never answers', async () => {
    proxy.always = { kind: 'hang' };
    await assert.rejects(
      downloadResults(relayClient(200), 1n, 0, { result: `0x${'00'.repeat(8)}`, timeoutMs: 1000 }),
      (err: unknown) => err instanceof TimeoutError && /no answer within (200 ms|0\.2 s)/.test(err.message),
    );
    assert.ok(proxy.requests.length >= 2, 'each unanswered request was abandoned and retried');
  });
});
