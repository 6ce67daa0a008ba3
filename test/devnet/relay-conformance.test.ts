/**
 * The stand-in relay over real HTTP against a real devnet chain: each bad request gets the
 * status, envelope and message of SPEC §4.1/§4.3, in the spec's check order.
 */
import assert from 'node:assert/strict';
import { DEVNET_ACCOUNTS, startDevnet, startRelay, type Devnet, type RelayHandle } from '../../devnet';
import { sdImages, sdRequestOf } from '../../devnet/workers/results';
import { signRelayFields, type TaskEvent } from '../../lib/protocol';
import { TestApp, http, nowSeconds, validation } from './devnet-helpers';

const SD_ARGS = JSON.stringify({
  base_model: 'runwayml/stable-diffusion-v1-5',
  prompt: 'a <red> & "blue" café [devnet:no-upload]',
  negative_prompt: '',
  task_config: { image_width: 64, image_height: 64, num_images: 2, steps: 1, cfg: 5, seed: 3, safety_checker: false },
});
const GPT_ARGS = '{"model":"gpt2","messages":[{"role":"user","content":"x < y && y > z — naïve ☃"}],"seed":1}';
const INVALID_SIG = validation('signature', 'Invalid signature');
const SIGNER_NOT_ALLOWED = validation('signature', 'Signer not allowed');

/** A valid signature turned into the v = 27 / high-S / unprefixed variants of SPEC §5.5. */
function variants(sig: string) {
  const n = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
  const r = sig.slice(2, 66);
  const s = BigInt(`0x${sig.slice(66, 130)}`);
  const v = parseInt(sig.slice(130), 16);
  return {
    v27: `${sig.slice(0, 130)}${(v + 27).toString(16)}`,
    highS: `0x${r}${(n - s).toString(16).padStart(64, '0')}${(v ^ 1).toString(16).padStart(2, '0')}`,
    noPrefix: sig.slice(2),
    badHex: `0x${'zz'.repeat(65)}`,
  };
}

describe('devnet relay: conformance (SPEC §4)', function () {
  this.timeout(60_000);
  let devnet: Devnet;
  let app: TestApp;
  let other: TestApp;
  let skew = 0;
  let clockRelay: RelayHandle;
  let sdId: bigint;

  before(async () => {
    // 4 workers: the no-upload task below keeps its result node bound until the end.
    devnet = await startDevnet({ taskTimeoutSeconds: 60, workers: 4 });
    app = new TestApp(devnet.rpcUrl, devnet.relayUrl, devnet.taskAddress, devnet.appPrivateKey);
    other = new TestApp(devnet.rpcUrl, devnet.relayUrl, devnet.taskAddress, devnet.spareKeys[0]);
    clockRelay = await startRelay({ rpcUrl: devnet.rpcUrl, taskAddress: devnet.taskAddress, now: () => nowSeconds() + skew });
    // An SD task that succeeds but is never uploaded by its node: the test plays the result node.
    sdId = await app.createTask(0, SD_ARGS, { cap: 2 });
    assert.equal((await app.uploadArgsWhenIndexed(sdId, SD_ARGS)).status, 200);
  });
  after(async () => {
    await clockRelay?.stop();
    await devnet?.stop();
  });

  it('GET /v1/now answers the relay clock', async () => {
    const a = await http(`${devnet.relayUrl}/v1/now`);
    assert.equal(a.status, 200);
    assert.deepEqual(Object.keys(a.json), ['message', 'data']);
    assert.ok(Math.abs(a.json.data.now - nowSeconds()) <= 2);
    skew = -1000;
    assert.deepEqual((await http(`${clockRelay.url}/v1/now`)).json, { message: 'success', data: { now: nowSeconds() - 1000 } });
    skew = 0;
  });

  it('unknown routes and methods answer 404 "404 page not found"; CORS is open', async () => {
    for (const [method, path] of [['GET', '/v2/now'], ['GET', '/v1/inference_tasks'], ['DELETE', '/v1/inference_tasks/1'], ['GET', '/']]) {
      const a = await http(`${devnet.relayUrl}${path}`, { method });
      assert.deepEqual([a.status, a.text], [404, '404 page not found'], `${method} ${path}`);
    }
    const pre = await http(`${devnet.relayUrl}/v1/inference_tasks`, { method: 'OPTIONS' });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.equal((await http(`${devnet.relayUrl}/v1/now`)).headers.get('access-control-allow-origin'), '*');
  });

  it('network extras answer without a signature', async () => {
    for (const p of ['/v1/network', '/v1/network/nodes/number', '/v1/network/tasks/number', '/v1/network/nodes/data']) {
      const a = await http(`${devnet.relayUrl}${p}`);
      assert.equal(a.status, 200, p);
      assert.equal(a.json.message, 'success');
    }
    assert.equal((await http(`${devnet.relayUrl}/v1/network/nodes/number`)).json.data.all_nodes, 4);
  });

  describe('A: POST /v1/inference_tasks', () => {
    const post = (body: string, type = 'application/json') =>
      http(`${devnet.relayUrl}/v1/inference_tasks`, { method: 'POST', headers: { 'content-type': type }, body });

    it('missing or zero fields: `required`, checked in the order task_args, task_id, timestamp, signature', async () => {
      assert.deepEqual((await post('{}')).json, validation('task_args', 'required'));
      assert.deepEqual((await post('{"task_args":"{}"}')).json, validation('task_id', 'required'));
      assert.deepEqual((await post('{"task_args":"{}","task_id":0,"timestamp":5}')).json, validation('task_id', 'required'));
      assert.deepEqual((await post('{"task_args":"{}","task_id":1}')).json, validation('timestamp', 'required'));
      const a = await post('{"task_args":"{}","task_id":1,"timestamp":5,"signature":""}');
      assert.deepEqual([a.status, a.json], [400, validation('signature', 'required')]);
    });

    it('a non-JSON Content-Type binds nothing: task_args / required', async () => {
      const a = await post(`task_args=x&task_id=1&timestamp=${nowSeconds()}&signature=0x00`, 'application/x-www-form-urlencoded');
      assert.deepEqual([a.status, a.json], [400, validation('task_args', 'required')]);
    });

    it('wrong JSON types give Go unmarshal errors; ids are exact uint64 (no rounding beyond 2^53)', async () => {
      const a = await post('{"task_args":"{}","task_id":"42","timestamp":1,"signature":"0x"}');
      assert.deepEqual(a.json, validation('task_id', 'json: cannot unmarshal string into Go struct field TaskArgsInput.task_id of type uint64'));
      const tooBig = await post('{"task_args":"{}","task_id":18446744073709551616,"timestamp":1,"signature":"0x"}');
      assert.equal(tooBig.json.data.message, 'json: cannot unmarshal number 18446744073709551616 into Go struct field TaskArgsInput.task_id of type uint64');
      // 2^64 − 1 rounds to 2^64 as a double; the relay must keep it exact and get as far as the lookup.
      const max = 18446744073709551615n;
      const ts = nowSeconds();
      const { signature } = signRelayFields(devnet.appPrivateKey, { task_args: '{}', task_id: max }, ts);
      const ok = await post(`{"task_args":"{}","task_id":${max},"timestamp":${ts},"signature":"${signature}"}`);
      assert.deepEqual(ok.json, validation('task_id', 'Task not found on the Blockchain'));
    });

    it('malformed signatures and stale timestamps: 400 signature / Invalid signature', async () => {
      const ts = nowSeconds();
      const good = signRelayFields(devnet.appPrivateKey, { task_args: SD_ARGS, task_id: sdId }, ts).signature;
      for (const [name, sig] of Object.entries(variants(good))) {
        const a = await app.uploadArgs(sdId, SD_ARGS, { timestamp: ts, signature: sig });
        assert.deepEqual([a.status, a.json], [400, INVALID_SIG], name);
      }
      for (const s of [61, -61]) {
        skew = s;
        const a = await http(`${clockRelay.url}/v1/inference_tasks`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: `{"task_args":${JSON.stringify(SD_ARGS)},"task_id":${sdId},"timestamp":${ts},"signature":"${good}"}`,
        });
        assert.deepEqual([a.status, a.json], [400, INVALID_SIG], `skew ${s}`);
      }
      skew = 0;
    });

    it('then: unknown task, non-JSON args (500), schema, signer, duplicate, hash — in that order', async () => {
      assert.deepEqual((await app.uploadArgs(999_999n, '{}')).json, validation('task_id', 'Task not found on the Blockchain'));
      const bad = await app.uploadArgs(sdId, 'hello');
      assert.deepEqual([bad.status, bad.json], [500, { message: "invalid character 'h' looking for beginning of value" }]);
      const trailing = await app.uploadArgs(sdId, '{"prompt":1} x');
      assert.deepEqual([trailing.status, trailing.json], [500, { message: "invalid character 'x' after top-level value" }]);
      const schema = await app.uploadArgs(sdId, '{"prompt":"no model"}');
      assert.equal(schema.status, 400);
      assert.equal(schema.json.data.field_name, 'task_args');
      assert.match(schema.json.data.message, /^jsonschema: /);
      // A stranger's signature over valid args: schema passes, signer fails.
      assert.deepEqual((await other.uploadArgs(sdId, SD_ARGS)).json, SIGNER_NOT_ALLOWED);
      assert.deepEqual((await app.uploadArgs(sdId, SD_ARGS)).json, validation('task_id', 'Task already uploaded'));
    });

    it('a different string than the one hashed on chain: task_hash / Task hash mismatch', async () => {
      const id = await app.createTask(1, GPT_ARGS, { cap: 1 });
      const reserialised = JSON.stringify(JSON.parse(GPT_ARGS), null, 1);
      await devnet.relay.syncNow();
      assert.deepEqual((await app.uploadArgs(id, reserialised)).json, validation('task_hash', 'Task hash mismatch'));
      const ok = await app.uploadArgs(id, GPT_ARGS); // <, >, &, non-ASCII signed by the library's Go escaper
      assert.equal(ok.status, 200, ok.text);
      assert.equal((await app.firstTerminal(id)).name, 'TaskSuccess');
    });

    it('success returns the task object in the relay key order, SelectedNodes null, ids as bare numbers', async () => {
      const id = await app.createTask(1, GPT_ARGS.replace('seed":1', 'seed":2'), { cap: 1, vramLimit: 10 });
      const a = await app.uploadArgsWhenIndexed(id, GPT_ARGS.replace('seed":1', 'seed":2'));
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(Object.keys(a.json), ['message', 'data']);
      assert.deepEqual(Object.keys(a.json.data), [
        'ID', 'CreatedAt', 'UpdatedAt', 'DeletedAt', 'task_args', 'task_id', 'creator', 'task_hash', 'data_hash', 'status',
        'task_type', 'vram_limit', 'SelectedNodes',
      ]);
      const d = a.json.data;
      assert.deepEqual([d.DeletedAt, d.task_id, d.creator, d.status, d.task_type, d.vram_limit, d.SelectedNodes], [null, Number(id), app.address, 1, 1, 10, null]);
      assert.match(d.task_hash, /^0x[0-9a-f]{64}$/);
      assert.ok(a.text.includes(`"task_id":${id},`));
      assert.ok(a.text.includes('x \\u003c y \\u0026\\u0026'), 'gin escapes HTML characters in the JSON it writes');
      await app.firstTerminal(id);
    });
  });

  describe('B: GET /v1/inference_tasks/{id}', () => {
    it('returns the task with its selected nodes to the creator and to the nodes; path ids are canonicalised', async () => {
      await devnet.relay.waitFor(() => (devnet.relay.getTask(sdId)?.nodes.length ?? 0) === 3);
      const a = await app.signedGet(`/v1/inference_tasks/000${sdId}`, { task_id: sdId });
      assert.equal(a.status, 200, a.text);
      assert.equal(a.json.data.SelectedNodes.length, 3);
      assert.deepEqual(Object.keys(a.json.data.SelectedNodes[0]), ['ID', 'CreatedAt', 'UpdatedAt', 'DeletedAt', 'InferenceTaskID', 'NodeAddress', 'Result', 'IsResultSelected']);
      const nodeKey = DEVNET_ACCOUNTS.find((acc) => acc.address === a.json.data.SelectedNodes[1].NodeAddress)!.privateKey;
      assert.equal((await app.getTask(sdId, { key: nodeKey })).status, 200);
    });

    it('errors: Invalid signature, Task not found, Task not ready, Signer not allowed; bad path/query binding', async () => {
      const ts = nowSeconds();
      const sig = signRelayFields(devnet.appPrivateKey, { task_id: sdId }, ts).signature;
      for (const [name, bad] of Object.entries(variants(sig))) {
        assert.deepEqual((await app.signedGet(`/v1/inference_tasks/${sdId}`, { task_id: sdId }, { timestamp: ts, signature: bad })).json, INVALID_SIG, name);
      }
      assert.deepEqual((await app.getTask(424242n)).json, validation('task_id', 'Task not found'));
      const pending = await app.createTask(1, '{"model":"gpt2","messages":[{"role":"user","content":"later"}]}');
      await devnet.relay.syncNow();
      assert.deepEqual((await app.getTask(pending)).json, validation('task_id', 'Task not ready'));
      assert.deepEqual((await other.getTask(sdId)).json, SIGNER_NOT_ALLOWED);
      assert.deepEqual((await http(`${devnet.relayUrl}/v1/inference_tasks/abc?timestamp=1&signature=0x`)).json, validation('TaskId', 'strconv.ParseUint: parsing "abc": invalid syntax'));
      assert.deepEqual((await http(`${devnet.relayUrl}/v1/inference_tasks/1?signature=0x`)).json, validation('Timestamp', 'required'));
      assert.deepEqual((await http(`${devnet.relayUrl}/v1/inference_tasks/1?timestamp=5`)).json, validation('Signature', 'required'));
      // Let the pending task run so the nodes are free for the next tests.
      await app.uploadArgs(pending, '{"model":"gpt2","messages":[{"role":"user","content":"later"}]}');
      await app.firstTerminal(pending);
    });
  });

  describe('C and D: results', () => {
    let success: Extract<TaskEvent, { name: 'TaskSuccess' }>;
    let nodeKey: string;
    const upload = (key: string, files: Buffer[], o: { signature?: string; ts?: number } = {}) => {
      const ts = o.ts ?? nowSeconds();
      const form = new FormData();
      form.append('timestamp', String(ts));
      form.append('signature', o.signature ?? signRelayFields(key, { task_id: sdId }, ts).signature);
      files.forEach((f, i) => form.append('images', new Blob([f]), `${i}.png`));
      return http(`${devnet.relayUrl}/v1/inference_tasks/${sdId}/results`, { method: 'POST', body: form });
    };
    const images = () => sdImages(sdRequestOf(JSON.parse(SD_ARGS)));

    before(async () => {
      success = (await app.firstTerminal(sdId)) as typeof success;
      assert.equal(success.name, 'TaskSuccess');
      nodeKey = DEVNET_ACCOUNTS.find((a) => a.address === success.resultNode)!.privateKey;
      await devnet.relay.waitFor(() => devnet.relay.getTask(sdId)?.status === 3);
    });

    it('download before the upload: task_id / Task results not uploaded; by a non-creator: Signer not allowed', async () => {
      assert.deepEqual((await app.download(sdId, '0')).json, validation('task_id', 'Task results not uploaded'));
      assert.deepEqual((await other.download(sdId, '0')).json, SIGNER_NOT_ALLOWED);
      assert.deepEqual((await app.download(777_777n, '0')).json, validation('task_id', 'Task not found'));
    });

    it('upload signature problems: 500 for decode/recovery errors, 400 for stale or high-S', async () => {
      const ts = nowSeconds();
      const v = variants(signRelayFields(nodeKey, { task_id: sdId }, ts).signature);
      const v27 = await upload(nodeKey, images(), { ts, signature: v.v27 });
      assert.deepEqual([v27.status, v27.json], [500, { message: 'invalid signature recovery id' }]);
      assert.deepEqual((await upload(nodeKey, images(), { ts, signature: v.noPrefix })).json, { message: 'invalid signature length' });
      assert.deepEqual((await upload(nodeKey, images(), { ts, signature: v.badHex })).json, { message: "encoding/hex: invalid byte: U+007A 'z'" });
      assert.deepEqual((await upload(nodeKey, images(), { ts, signature: v.highS })).json, INVALID_SIG);
      assert.deepEqual((await upload(nodeKey, images(), { ts: ts - 120 })).json, INVALID_SIG);
    });

    it('upload checks: Signer not allowed, Wrong images uploaded, non-PNG 500; then success and "Task not success" again', async () => {
      assert.deepEqual((await upload(devnet.appPrivateKey, images())).json, SIGNER_NOT_ALLOWED);
      assert.deepEqual((await upload(nodeKey, images().slice(0, 1))).json, validation('images', 'Wrong images uploaded'));
      assert.deepEqual((await upload(nodeKey, images().reverse())).json, validation('images', 'Wrong images uploaded'));
      const notPng = await upload(nodeKey, [Buffer.from('not a png'), images()[1]]);
      assert.deepEqual([notPng.status, notPng.json], [500, { message: 'png: invalid format: not a PNG file' }]);
      const ok = await upload(nodeKey, images());
      assert.deepEqual([ok.status, ok.json], [200, { message: 'success' }]);
      assert.deepEqual((await upload(nodeKey, images())).json, validation('task_id', 'Task not success'));
    });

    it('download serves the stored bytes; image_num is a verbatim name ("00" is not "0")', async () => {
      const files = images();
      const a = await app.download(sdId, '1');
      assert.equal(a.status, 200);
      assert.ok(a.bytes.equals(files[1]));
      assert.deepEqual((await app.download(sdId, '00')).json, validation('image_num', 'File not found'));
      // The node never reported: cancel after the deadline to free it (SPEC §3.8); uploaded files stay.
      await devnet.increaseTime(61);
      await app.cancelTask(sdId);
      await devnet.relay.syncNow();
      assert.equal((await app.download(sdId, '0')).status, 200);
    });
  });

  it('bodies above 32 MiB are refused', async () => {
    const big = `{"task_args":"${'a'.repeat(32 * 1024 * 1024)}"}`;
    const a = await http(`${devnet.relayUrl}/v1/inference_tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    assert.deepEqual([a.status, a.json], [413, { message: 'http: request body too large' }]);
  });
});
