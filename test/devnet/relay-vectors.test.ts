/**
 * The stand-in relay's verifier against the spec's conformance vectors (vectors.json
 * `signing`, `negative`): positive vectors recover their signer through the relay's own
 * body parser and verify function with the clock at the vector's timestamp; negative
 * vectors get the outcome `expected` names, over HTTP where the outcome is observable.
 */
import assert from 'node:assert/strict';
import { startDevnet, startRelay, type Devnet, type RelayHandle } from '../../devnet';
import { JsonNumber, parseGoJson } from '../../devnet/relay/json';
import { verifyRelaySignature } from '../../devnet/relay/verify';
import type { RelayFields } from '../../lib/protocol';
import { describeWithShared, readShared } from '../helpers/shared';
import { TestApp, http, validation } from './devnet-helpers';

interface SigningVector {
  id: string;
  endpoint: 'get_task' | 'upload_task_args' | 'upload_results' | 'get_result';
  task_id: string;
  task_args?: string;
  image_num?: string;
  timestamp: number;
  signature: string;
  signer: string;
}
type Negative = Record<string, unknown> & { id: string; expected: unknown };

/** The request as a client sends it, decoded the way the relay decodes it (SPEC §5.3, §5.4). */
function relayFieldsOf(v: SigningVector): RelayFields {
  if (v.endpoint === 'upload_task_args') {
    const body = `{"task_args":${JSON.stringify(v.task_args)},"task_id":${v.task_id},"timestamp":${v.timestamp},"signature":"${v.signature}"}`;
    const doc = parseGoJson(body) as Record<string, unknown>;
    return { task_args: doc.task_args as string, task_id: BigInt((doc.task_id as JsonNumber).raw) };
  }
  if (v.endpoint === 'get_result') return { image_num: v.image_num!, task_id: BigInt(v.task_id) };
  return { task_id: BigInt(v.task_id) };
}

const INVALID = validation('signature', 'Invalid signature');

describeWithShared('devnet relay: spec vectors (vectors.json)', function () {
  this.timeout(60_000);
  const vectors = readShared<{ signing: SigningVector[]; negative: Negative[] }>('vectors.json');
  const byId = (id: string) => vectors.negative.find((n) => n.id === id)!;
  let devnet: Devnet;
  let relay: RelayHandle;
  let clock = 0;

  before(async () => {
    devnet = await startDevnet({ workers: 0 });
    relay = await startRelay({ rpcUrl: devnet.rpcUrl, taskAddress: devnet.taskAddress, now: () => clock });
  });
  after(async () => {
    await relay?.stop();
    await devnet?.stop();
  });

  it('every signing vector recovers its signer through the relay parser and verifier', () => {
    assert.ok(vectors.signing.length >= 21);
    for (const v of vectors.signing) {
      const check = verifyRelaySignature(relayFieldsOf(v), BigInt(v.timestamp), v.signature, v.timestamp);
      assert.deepEqual(check, { ok: true, signer: v.signer }, v.id);
    }
  });

  /** Sends a request signed with `signature` to endpoint `kind` (task 1) at relay time `now`. */
  async function send(kind: string, signature: string, ts: number, now: number) {
    clock = now;
    const q = `timestamp=${ts}&signature=${signature}`;
    if (kind === 'get_task') return http(`${relay.url}/v1/inference_tasks/1?${q}`);
    if (kind === 'get_result') return http(`${relay.url}/v1/inference_tasks/1/results/0?${q}`);
    if (kind === 'upload_task_args') {
      return http(`${relay.url}/v1/inference_tasks`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: `{"task_args":"{}","task_id":1,"timestamp":${ts},"signature":"${signature}"}`,
      });
    }
    const form = new FormData();
    form.append('timestamp', String(ts));
    form.append('signature', signature);
    return http(`${relay.url}/v1/inference_tasks/1/results`, { method: 'POST', body: form });
  }

  /** "400 signature / Invalid signature" or "500 {…}" → [status, body]. */
  function expectedAnswer(text: string): [number, unknown] {
    if (text.startsWith('400 signature / Invalid signature')) return [400, INVALID];
    const m = /^500 (\{.*\})$/.exec(text);
    assert.ok(m, `unexpected expectation ${text}`);
    return [500, JSON.parse(m[1])];
  }

  for (const id of ['N01-v27-form', 'N02-high-s-twin', 'N07-missing-0x-prefix']) {
    it(`${id}: each endpoint answers as expected`, async () => {
      const n = byId(id);
      const base = vectors.signing.find((s) => s.id === (n.based_on as string))!;
      const sig = (n.signature_sent as string) ?? '';
      const expected = n.expected as Record<string, string>;
      const endpoints = ['get_task', 'upload_task_args', 'get_result', 'upload_results'];
      for (const kind of endpoints) {
        const text = expected[kind] ?? expected.all_endpoints;
        const a = await send(kind, sig, base.timestamp, base.timestamp);
        assert.deepEqual([a.status, a.json], expectedAnswer(text), `${id} ${kind}`);
      }
    });
  }

  it('N05: the ±60 s window, and N06: milliseconds are outside it', async () => {
    const n = byId('N05-timestamp-window');
    for (const c of n.cases as { relay_now: number; expected: string }[]) {
      const check = verifyRelaySignature({ task_id: 42n }, BigInt(n.timestamp as number), n.signature as string, c.relay_now);
      assert.equal(check.ok, c.expected === 'accepted', `relay_now ${c.relay_now}`);
      const a = await send('get_task', n.signature as string, n.timestamp as number, c.relay_now);
      // Accepted signatures get past step 1 (to "Task not found" etc.), rejected ones stop there.
      assert.equal(JSON.stringify(a.json) === JSON.stringify(INVALID), c.expected !== 'accepted', `HTTP, relay_now ${c.relay_now}`);
    }
    const ms = byId('N06-timestamp-in-milliseconds');
    const a = await send('get_task', ms.signature as string, ms.timestamp_sent as number, 1720000000);
    assert.deepEqual([a.status, a.json], [400, INVALID]);
  });

  it('wrongly built payloads recover an unrelated address ("Signer not allowed", not "Invalid signature")', () => {
    const cases: [string, RelayFields, number, string, string][] = [];
    const n03 = byId('N03-json-stringify-not-go');
    cases.push([n03.id, { task_args: n03.task_args as string, task_id: 7n }, n03.timestamp as number, n03.signature_sent as string, n03.relay_recovers as string]);
    const n04 = byId('N04-eip191-personal-sign');
    cases.push([n04.id, { task_id: 42n }, 1720000000, n04.signature_sent_v01 as string, n04.relay_recovers_from_v01 as string]);
    for (const id of ['N10-image-num-as-number', 'N11-task-id-as-string', 'N12-whitespace-python-default']) {
      const n = byId(id);
      const fields: RelayFields = id.startsWith('N10') ? { image_num: '0', task_id: 42n } : { task_id: 42n };
      cases.push([id, fields, n.timestamp as number, n.signature_sent as string, n.relay_recovers as string]);
    }
    for (const [id, fields, ts, sig, recovers] of cases) {
      assert.deepEqual(verifyRelaySignature(fields, BigInt(ts), sig, ts), { ok: true, signer: recovers }, id);
    }
    const v27 = verifyRelaySignature({ task_id: 42n }, 1720000000n, n04.signature_sent_v27 as string, 1720000000);
    assert.equal(v27.ok, false, 'N04 v27 form is Invalid signature');
  });

  it('P08: upper-case hex is accepted; N09: "00" signs fine (File not found comes later)', () => {
    const p08 = byId('P08-uppercase-hex-accepted');
    const s03 = vectors.signing.find((s) => s.id === 'S03-get-task-42')!;
    assert.deepEqual(verifyRelaySignature({ task_id: 42n }, 1720000000n, p08.signature_sent as string, 1720000000), { ok: true, signer: s03.signer });
    const n09 = byId('N09-image-num-not-canonical');
    const check = verifyRelaySignature({ image_num: '00', task_id: 42n }, 1720000000n, n09.signature as string, 1720000000);
    assert.deepEqual(check, { ok: true, signer: s03.signer });
  });

  it('N13: args re-serialised after hashing → task_hash / Task hash mismatch on the devnet', async () => {
    const n = byId('N13-task-hash-after-reserialisation');
    const app = new TestApp(devnet.rpcUrl, devnet.relayUrl, devnet.taskAddress, devnet.appPrivateKey);
    const id = await app.createTask(0, n.on_chain_task_args as string, { cap: 1 });
    await devnet.relay.syncNow();
    assert.equal(devnet.relay.getTask(id)?.taskHash, n.on_chain_task_hash);
    assert.deepEqual((await app.uploadArgs(id, n.uploaded_task_args as string)).json, validation('task_hash', 'Task hash mismatch'));
  });
});
