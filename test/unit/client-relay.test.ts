/**
 * RelayClient against a scripted relay on 127.0.0.1 (SPEC §4.2–§4.6, §5.4–§5.6): request
 * shapes and signatures, clock skew, answer classes, retries, downloads and their checks.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Wallet } from 'ethers';
import { RelayClient } from '../../lib/relay/relay-client';
import { downloadResults, PNG_SIGNATURE } from '../../lib/relay/download';
import { AbortedError, RelayRejectedError, ResultIntegrityError, TimeoutError } from '../../lib/errors';
import { startScriptedRelay, validationError, type ScriptedRelay } from './client-relay-server';

const KEY = '0x' + '11'.repeat(32);
const ADDRESS = new Wallet(KEY).address;
const ARGS = '{"prompt":"a <cat> & dog","n":1}';
const FAST = { baseMs: 5, maxMs: 20 };

describe('RelayClient', () => {
  let relay: ScriptedRelay;
  let client: RelayClient;

  beforeEach(async () => {
    relay = await startScriptedRelay();
    client = new RelayClient({ relayUrl: `${relay.url}/v1/`, privateKey: KEY.slice(2), backoff: FAST });
  });
  afterEach(() => relay.close());

  it('uploads A as JSON with a numeric task_id, signed over Go-escaped args with the relay clock', async () => {
    relay.skewSeconds = 500; // outside the ±60 s window unless /v1/now is used
    const big = 2n ** 60n + 1n;
    const result = await client.uploadTaskArgs(big, ARGS);
    assert.equal(result.alreadyUploaded, false);
    const [req] = relay.requests;
    assert.equal(req.problem, undefined);
    assert.equal(req.signer, ADDRESS);
    assert.match(req.body, new RegExp(`"task_id":${big},"timestamp":\\d+,"signature":"0x[0-9a-f]{130}"`));
    assert.equal(relay.nowCalls, 1);
  });

  it('retries transient answers with backoff, reporting each retry, until success', async () => {
    let n = 0;
    relay.script = () => (++n < 3 ? validationError('task_id', 'Task not found on the Blockchain') : { json: { message: 'success' } });
    const retries: Array<{ attempt: number; reason: string }> = [];
    await client.uploadTaskArgs(7n, ARGS, { onRetry: ({ attempt, reason }) => retries.push({ attempt, reason }) });
    assert.deepEqual(retries, [1, 2].map((attempt) => ({ attempt, reason: 'Task not found on the Blockchain' })));
    assert.ok(relay.requests.every((r) => r.signer === ADDRESS), 'every attempt carries a valid signature');
  });

  it('treats "Task already uploaded" as success', async () => {
    relay.script = () => validationError('task_id', 'Task already uploaded');
    assert.deepEqual((await client.uploadTaskArgs(7n, ARGS)).alreadyUploaded, true);
  });

  it('re-syncs the clock after "Invalid signature" and retries once', async () => {
    await client.uploadTaskArgs(8n, ARGS);
    relay.skewSeconds = -400; // the relay's clock jumps: our next timestamp is stale
    await client.uploadTaskArgs(8n, ARGS);
    assert.deepEqual(relay.requests.map((r) => r.problem), [undefined, 'stale timestamp', undefined]);
    assert.equal(relay.nowCalls, 2);
  });

  it('gives up after one re-sync when the signature stays invalid, with a hint', async () => {
    relay.script = () => validationError('signature', 'Invalid signature');
    await assert.rejects(client.uploadTaskArgs(9n, ARGS), (err: unknown) =>
      err instanceof RelayRejectedError && err.relayMessage === 'Invalid signature' && /clock/.test(err.message));
    assert.equal(relay.requests.length, 2);
  });

  it('stops at once on a fatal answer and names the field and a hint', async () => {
    relay.script = () => validationError('task_hash', 'Task hash mismatch');
    await assert.rejects(client.uploadTaskArgs(10n, ARGS), (err: unknown) =>
      err instanceof RelayRejectedError && err.field === 'task_hash' && err.status === 400 &&
      err.message.startsWith('The relay refused the request: task_hash: Task hash mismatch (') && /re-serialise/.test(err.message));
    assert.equal(relay.requests.length, 1);
  });

  it('names the field of a validation error even without a hint ("task_args: required")', async () => {
    relay.script = () => validationError('task_args', 'required');
    await assert.rejects(client.uploadTaskArgs(10n, ARGS), (err: unknown) =>
      err instanceof RelayRejectedError && err.message === 'The relay refused the request: task_args: required');
  });

  it('says when an answer is not the relay\'s (an HTML page): status, path without the query, a short tag-free excerpt', async () => {
    const page = `<html><head><style>h1{color:red}</style><title>403 Forbidden</title></head><body><h1>Forbidden</h1>${'x'.repeat(300)}</body></html>`;
    relay.script = () => ({ status: 403, bytes: Buffer.from(page) });
    await assert.rejects(client.getTask(12n), (err: unknown) => {
      assert.ok(err instanceof RelayRejectedError);
      assert.match(err.message, /^The relay refused the request: HTTP 403 from \/v1\/inference_tasks\/12: not a Crynux relay answer \(403 Forbidden Forbidden x+…\)$/);
      assert.doesNotMatch(err.message, /<|color:red|signature=|timestamp=/);
      assert.ok(err.relayMessage.length < 160, err.relayMessage);
      return true;
    });
  });

  it('ends with a TimeoutError naming the last answer', async () => {
    relay.script = () => ({ status: 500, json: { message: 'database is locked' } });
    await assert.rejects(client.uploadTaskArgs(11n, ARGS, { timeoutMs: 150 }), (err: unknown) =>
      err instanceof TimeoutError && err.message.includes('"database is locked"') &&
      /^upload of task 11's arguments: gave up after \d+(\.\d+)? s; /.test(err.message));
    assert.ok(relay.requests.length >= 2);
  });

  it('abandons a request that hangs after requestTimeoutMs and retries it', async () => {
    client = new RelayClient({ relayUrl: relay.url, privateKey: KEY, backoff: FAST, requestTimeoutMs: 100 });
    let n = 0;
    relay.script = () => (++n === 1 ? { hang: true } : { json: { message: 'success' } });
    const reasons: string[] = [];
    await client.uploadTaskArgs(12n, ARGS, { onRetry: (i) => reasons.push(i.reason) });
    assert.deepEqual(reasons, ['no answer within 0.1 s']);
  });

  it('retries a dropped connection as a network error', async () => {
    let n = 0;
    relay.script = () => (++n === 1 ? { reset: true } : { json: { message: 'success' } });
    const reasons: string[] = [];
    await client.uploadTaskArgs(14n, ARGS, { onRetry: (i) => reasons.push(i.reason) });
    assert.equal(reasons.length, 1);
    assert.match(reasons[0], /^network error: /);
  });

  it('refuses a task id the relay cannot hold (uint64) without sending anything', async () => {
    await assert.rejects(client.uploadTaskArgs(2n ** 64n, ARGS), { name: 'TaskArgsError' });
    assert.equal(relay.requests.length, 0);
  });

  it('rejects with AbortedError when the signal fires during a retry wait', async () => {
    relay.script = () => validationError('task_id', 'Task not found');
    const ctrl = new AbortController();
    await assert.rejects(
      client.uploadTaskArgs(13n, ARGS, { signal: ctrl.signal, onRetry: () => ctrl.abort() }),
      (err: unknown) => err instanceof AbortedError,
    );
  });

  describe('downloads (SPEC §4.5, §6.5)', () => {
    const png = (n: number) => Buffer.concat([PNG_SIGNATURE, Buffer.alloc(20, n)]);
    const index = (path: string) => Number(path.split('/').pop());

    it('fetches SD files 0…n−1 (n = result / 8) with bounded parallelism, signed by the creator', async () => {
      relay.script = (r) => ({ bytes: png(index(r.path)), delayMs: 20 });
      const result = '0x' + '00'.repeat(8 * 5);
      const { files } = await downloadResults(client, 14n, 0, { result, parallel: 2 });
      assert.deepEqual(files.map((f) => f[8]), [0, 1, 2, 3, 4]);
      assert.equal(relay.maxActive, 2);
      assert.ok(relay.requests.every((r) => r.signer === ADDRESS));
    });

    it('without a result, probes SD files until "File not found"', async () => {
      relay.script = (r) => (index(r.path) < 2 ? { bytes: png(1) } : validationError('image_num', 'File not found'));
      assert.equal((await downloadResults(client, 15n, 0)).files.length, 2);
    });

    it('retries "Task results not uploaded" and stops when told the task aborted', async () => {
      let n = 0;
      relay.script = () => (++n < 3 ? validationError('task_id', 'Task results not uploaded') : { bytes: png(0) });
      assert.equal((await downloadResults(client, 16n, 0, { result: '0x' + '00'.repeat(8) })).files.length, 1);
      relay.script = () => validationError('task_id', 'Task results not uploaded');
      let calls = 0;
      const stop = new Error('task aborted');
      await assert.rejects(downloadResults(client, 17n, 0, { result: '0x' + '00'.repeat(8), stopIf: () => (++calls > 2 ? stop : undefined) }), stop);
    });

    it('refuses an SD file that is not a PNG', async () => {
      relay.script = () => ({ bytes: Buffer.from('{"not":"png"}') });
      await assert.rejects(downloadResults(client, 18n, 0, { result: '0x' + '00'.repeat(8) }), ResultIntegrityError);
    });

    it('checks a GPT file against its sha256 before anyone parses it', async () => {
      const body = Buffer.from('{"model": "m", "choices": []}');
      const sha = createHash('sha256').update(body).digest('hex');
      relay.script = () => ({ bytes: body });
      assert.deepEqual((await downloadResults(client, 19n, 1, { result: `0x${sha}` })).files, [body]);
      await assert.rejects(downloadResults(client, 19n, 1, { result: '0x' + 'ab'.repeat(32) }), (err: unknown) =>
        err instanceof ResultIntegrityError && err.message.includes(sha));
    });

    it('refuses files above maxBytes, declared or streamed', async () => {
      for (const chunked of [false, true]) {
        relay.script = () => ({ bytes: Buffer.concat([PNG_SIGNATURE, Buffer.alloc(5000)]), chunked });
        await assert.rejects(downloadResults(client, 20n, 0, { result: '0x' + '00'.repeat(8), maxBytes: 4096 }), (err: unknown) =>
          err instanceof ResultIntegrityError &&
          /^Result file 0 of task 20 is larger than the limit of 0\.0039 MiB \(4096 bytes\): (the relay announced 0\.0048 MiB \(5008 bytes\)|more than that was received); refused$/.test(err.message));
      }
    });

    it('rejects a result whose length does not fit the task type', async () => {
      await assert.rejects(downloadResults(client, 21n, 1, { result: '0x' + '00'.repeat(8) }), { name: 'TaskArgsError' });
    });
  });
});
