/**
 * SPEC §3.5 (revert data) and §4.1/§4.6 (relay answer classes).
 */
import assert from 'node:assert/strict';
import { AbiCoder, concat } from 'ethers';
import { decodeRevertData, withRevertHint } from '../../lib/protocol/revert';
import { callError } from '../../lib/chain/tx-queue';
import { RpcAnswerError } from '../../lib/chain/rpc';
import { ChainRevertError } from '../../lib/errors';
import { classifyNetworkError, classifyRelayAnswer, relayMessageOf } from '../../lib/protocol/relay-errors';

const coder = AbiCoder.defaultAbiCoder();
const errorData = (reason: string) => concat(['0x08c379a0', coder.encode(['string'], [reason])]);
const panicData = (code: number) => concat(['0x4e487b71', coder.encode(['uint256'], [code])]);

describe('decodeRevertData (SPEC §3.5)', () => {
  it('Error(string) gives the reason text', () => {
    assert.deepEqual(decodeRevertData(errorData('Invalid task type')), { kind: 'error', reason: 'Invalid task type' });
    assert.equal(decodeRevertData(errorData('Task queue is full').toUpperCase().replace('0X', '0x')).reason, 'Task queue is full');
  });
  it('Panic(0x12) says division by zero and points at cap = 0', () => {
    const d = decodeRevertData(panicData(0x12));
    assert.equal(d.kind, 'panic');
    assert.equal(d.panicCode, 0x12);
    assert.match(d.reason, /^Panic\(0x12\): division by zero.*cap/);
  });
  it('an unknown panic code is still reported as a panic', () => {
    assert.match(decodeRevertData(panicData(0x99)).reason, /^Panic\(0x99\): unknown panic/);
  });
  it('empty data: no reason (possibly out of gas)', () => {
    for (const d of ['0x', '', null, undefined]) assert.equal(decodeRevertData(d).kind, 'empty');
  });
  it('garbage and truncated payloads are "unknown", never a throw', () => {
    assert.equal(decodeRevertData('0xdeadbeef').kind, 'unknown');
    assert.equal(decodeRevertData('0x08c379a0').kind, 'unknown');
    assert.equal(decodeRevertData(errorData('x').slice(0, 80)).kind, 'unknown');
    assert.match(decodeRevertData('0xdeadbeef').reason, /0xdeadbeef/);
  });
});

const validation = (message: string, field = 'task_id') => ({ message: 'validation_error', data: { field_name: field, message } });

describe('revert hints', () => {
  it('a full or disabled task queue says what to do; the reason itself stays as the contract gave it', () => {
    const hint = "the contract's task queue is full or disabled; try again later or raise the fee";
    assert.equal(withRevertHint('No available task'), `No available task (${hint})`);
    assert.equal(withRevertHint('Task queue is full'), `Task queue is full (${hint})`);
    assert.equal(withRevertHint('Something new'), 'Something new');
    const err = callError(new RpcAnswerError('eth_call', { code: 3, message: 'execution reverted', data: errorData('No available task') }), 'createTask');
    assert.ok(err instanceof ChainRevertError);
    assert.equal(err.reason, 'No available task');
    assert.equal(err.message, `createTask was rejected by the Task contract: No available task (${hint})`);
  });
});

describe('classifyRelayAnswer (SPEC §4.6)', () => {
  it('success', () => {
    assert.deepEqual(classifyRelayAnswer(200, { message: 'success', data: {} }), { kind: 'success', message: 'success', status: 200 });
    assert.equal(classifyRelayAnswer(200, Buffer.alloc(0) as unknown).kind, 'success');
  });

  for (const msg of ['Task not found on the Blockchain', 'Task not found', 'Task not ready', 'Task results not uploaded']) {
    it(`transient: 400 "${msg}"`, () => {
      const c = classifyRelayAnswer(400, validation(msg));
      assert.equal(c.kind, 'transient');
      assert.equal(c.message, msg);
      assert.equal(c.field, 'task_id');
    });
  }

  it('transient: 404 (plain text), 5xx without a Go decode error, 408/429 from proxies', () => {
    assert.deepEqual(classifyRelayAnswer(404, '404 page not found', '/v1/inference_tasks/5'), {
      kind: 'transient', message: 'HTTP 404 from /v1/inference_tasks/5: not a Crynux relay answer (404 page not found)', status: 404,
    });
    assert.equal(classifyRelayAnswer(404, '').message, 'HTTP 404 with an empty body');
    assert.equal(classifyRelayAnswer(500, '').kind, 'transient', 'a panic gives an empty 500');
    assert.equal(classifyRelayAnswer(502, '<html>Bad Gateway</html>').kind, 'transient');
    assert.equal(classifyRelayAnswer(503, {}).message, 'HTTP 503: not a Crynux relay answer ({})');
    assert.equal(classifyRelayAnswer(500, { message: 'sql: database is closed' }).kind, 'transient');
    assert.equal(classifyRelayAnswer(429, 'Too Many Requests').kind, 'transient');
  });

  it('success-equivalent: "Task already uploaded"', () => {
    assert.equal(classifyRelayAnswer(400, validation('Task already uploaded')).kind, 'done');
  });

  const fatal: [number, unknown, string][] = [
    [400, validation('Task hash mismatch', 'task_hash'), 'Task hash mismatch'],
    [400, validation('Signer not allowed', 'signature'), 'Signer not allowed'],
    [400, validation('jsonschema: "task_config.num_images" does not validate', 'task_args'), 'jsonschema: "task_config.num_images" does not validate'],
    [400, validation('required', 'timestamp'), 'required'],
    [400, validation("json: cannot unmarshal string into Go struct field .task_id of type uint64", 'task_id'), "json: cannot unmarshal string into Go struct field .task_id of type uint64"],
    [400, validation('File not found', 'image_num'), 'File not found'],
    [400, validation('Wrong images uploaded', 'images'), 'Wrong images uploaded'],
    [400, validation('Task not success'), 'Task not success'],
    [500, { message: "invalid character 'x' looking for beginning of value" }, "invalid character 'x' looking for beginning of value"],
    [500, { message: 'invalid signature recovery id' }, 'invalid signature recovery id'],
    [500, { message: 'invalid signature length' }, 'invalid signature length'],
    [500, { message: 'image: unknown format' }, 'image: unknown format'],
    [400, 'Signer not allowed', 'HTTP 400: not a Crynux relay answer (Signer not allowed)'],
    [418, '', 'HTTP 418 with an empty body'],
  ];
  for (const [status, body, message] of fatal) {
    it(`fatal: ${status} "${message}"`, () => {
      const c = classifyRelayAnswer(status, body);
      assert.equal(c.kind, 'fatal');
      assert.equal(c.message, message);
      assert.equal(c.resyncClock, undefined);
    });
  }

  it('fatal after one retry: "Invalid signature" asks for a clock re-sync', () => {
    const c = classifyRelayAnswer(400, validation('Invalid signature', 'signature'));
    assert.equal(c.kind, 'fatal');
    assert.equal(c.resyncClock, true);
    assert.equal(c.field, 'signature');
  });

  it('network errors are transient', () => {
    const c = classifyNetworkError(new Error('connect ECONNREFUSED 127.0.0.1:1'));
    assert.deepEqual(c, { kind: 'transient', message: 'network error: connect ECONNREFUSED 127.0.0.1:1', status: 0 });
    assert.equal(classifyNetworkError('socket hang up').message, 'network error: socket hang up');
  });

  it('network errors name the cause code, not just "fetch failed"', () => {
    const failed = (code: string) => new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code }) });
    assert.equal(classifyNetworkError(failed('ECONNREFUSED')).message,
      'network error: ECONNREFUSED (connection refused: nothing listens on that host and port)');
    assert.equal(classifyNetworkError(failed('ENOTFOUND')).message, 'network error: ENOTFOUND (host name not found)');
    assert.equal(classifyNetworkError(failed('CERT_HAS_EXPIRED')).message, 'network error: CERT_HAS_EXPIRED (TLS certificate problem)');
    assert.equal(classifyNetworkError(failed('DEPTH_ZERO_SELF_SIGNED_CERT')).message,
      'network error: DEPTH_ZERO_SELF_SIGNED_CERT (TLS certificate problem)');
  });

  it('a body that is not the relay envelope becomes "HTTP <status> from <path>: not a Crynux relay answer" with ≤ 80 characters of text', () => {
    const html = `<!DOCTYPE html><html><head><script>var a = 1;</script><title>502 Bad Gateway</title></head><body><h1>Bad   Gateway</h1><p>${'y'.repeat(200)}</p></body></html>`;
    const c = classifyRelayAnswer(502, html, '/v1/inference_tasks/7/results/0?timestamp=1&signature=0xab');
    assert.equal(c.kind, 'transient');
    const prefix = 'HTTP 502 from /v1/inference_tasks/7/results/0: not a Crynux relay answer (';
    assert.ok(c.message.startsWith(`${prefix}502 Bad Gateway Bad Gateway yyy`), c.message);
    assert.equal(c.message.length, prefix.length + 80 + 1, 'the excerpt is cut at 80 characters');
    assert.ok(c.message.endsWith('y…)'));
    assert.doesNotMatch(c.message, /<|var a|signature/);
    // The relay's own envelope is still read as before.
    assert.equal(classifyRelayAnswer(400, validation('Task hash mismatch', 'task_hash'), '/v1/inference_tasks').message, 'Task hash mismatch');
  });
});

describe('relayMessageOf (SPEC §4.1)', () => {
  it('reads the validation_error envelope, plain messages and plain text', () => {
    assert.deepEqual(relayMessageOf(validation('Task not ready')), { message: 'Task not ready', field: 'task_id' });
    assert.deepEqual(relayMessageOf({ message: 'success' }), { message: 'success' });
    assert.deepEqual(relayMessageOf('  404 page not found\n'), { message: '404 page not found' });
    assert.deepEqual(relayMessageOf(null), { message: '' });
    assert.deepEqual(relayMessageOf({ message: 'validation_error', data: null }), { message: 'validation_error' });
  });
});
