/**
 * vectors.json: signing, negative, task_hash and go_string_escaping (SPEC §5, §6.1).
 */
import assert from 'node:assert/strict';
import { Wallet, keccak256, toUtf8Bytes } from 'ethers';
import { describeWithShared, readShared } from '../helpers/shared';
import { goJsonString } from '../../lib/protocol/go-json';
import {
  addressOfKey,
  recoverRelaySigner,
  relaySignatureFormatProblem,
  relaySigningString,
  signRelayFields,
  type RelayFields,
} from '../../lib/protocol/signing';
import { taskHash } from '../../lib/protocol/task-hash';

interface SigningVector {
  id: string;
  endpoint: 'upload_task_args' | 'get_task' | 'upload_results' | 'get_result';
  private_key: string;
  task_id: string;
  task_args?: string;
  image_num?: string;
  timestamp: number;
  signed_string: string;
  signed_bytes_hex: string;
  signed_bytes_length: number;
  keccak256: string;
  signature: string;
  signature_ethers_form_v27: string;
  v: number;
  signer: string;
  task_hash?: string;
  naive_json_stringify_differs?: boolean;
  task_args_as_decoded_by_relay?: string;
}
type AnyVector = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Vectors {
  signing: SigningVector[];
  negative: AnyVector[];
  task_hash: { id: string; task_args: string; keccak256: string }[];
  go_string_escaping: {
    cases: {
      name: string;
      input_code_points: string[];
      go_output: string;
      go_output_hex: string;
      go_1_22_and_later?: string;
      json_stringify: string;
      same_as_json_stringify: boolean;
    }[];
  };
}

/** The relay input struct's fields for an endpoint (SPEC §5.3). */
function fieldsOf(v: { endpoint: string; task_id: string; task_args?: string; image_num?: string }): RelayFields {
  const id = BigInt(v.task_id);
  switch (v.endpoint) {
    case 'upload_task_args':
      return { task_args: v.task_args!, task_id: id };
    case 'get_result':
      return { image_num: v.image_num!, task_id: id };
    default:
      return { task_id: id };
  }
}

const hexOf = (s: string) => `0x${Buffer.from(s, 'utf8').toString('hex')}`;

describeWithShared('conformance: vectors.json signing (SPEC §5)', () => {
  const vectors = readShared<Vectors>('vectors.json');
  const byId = new Map(vectors.signing.map((s) => [s.id, s]));

  for (const s of vectors.signing) {
    it(`${s.id}: signed bytes, keccak, signature, signer, task hash`, () => {
      const fields = fieldsOf(s);
      const signing = relaySigningString(fields, s.timestamp);
      assert.equal(hexOf(signing), s.signed_bytes_hex);
      assert.equal(Buffer.byteLength(signing, 'utf8'), s.signed_bytes_length);
      assert.equal(keccak256(toUtf8Bytes(signing)), s.keccak256);
      const { signature } = signRelayFields(s.private_key, fields, s.timestamp);
      assert.equal(signature, s.signature);
      assert.equal(parseInt(signature.slice(130), 16), s.v);
      assert.equal(recoverRelaySigner(fields, s.timestamp, signature), s.signer);
      assert.equal(addressOfKey(s.private_key.replace(/^0x/, '')), s.signer);
      assert.equal(addressOfKey(`0x${s.private_key.replace(/^0x/, '')}`), s.signer);
      // our signer never produces the form the relay rejects
      assert.notEqual(signature, s.signature_ethers_form_v27);
      assert.equal(relaySignatureFormatProblem(s.signature_ethers_form_v27), 'invalid signature recovery id');
      if (s.task_hash) assert.equal(taskHash(s.task_args!), s.task_hash);
      if (s.task_args_as_decoded_by_relay) {
        assert.equal(relaySigningString({ ...fields, task_args: s.task_args_as_decoded_by_relay }, s.timestamp), signing);
      }
      if (s.naive_json_stringify_differs !== undefined && s.task_args !== undefined) {
        const naive = `{"task_args":${JSON.stringify(s.task_args)},"task_id":${s.task_id}}${s.timestamp}`;
        assert.equal(naive !== signing, s.naive_json_stringify_differs);
      }
    });
  }

  describe('negative vectors: our signer never produces the rejected form', () => {
    const neg = new Map(vectors.negative.map((n) => [n.id, n]));
    const get = (id: string) => {
      const n = neg.get(id);
      assert.ok(n, `vector ${id} missing`);
      return n;
    };
    const based = (n: AnyVector) => byId.get(n.based_on as string)!;

    it('N01 v = 27 form: v ≥ 4 is flagged; ours uses v ∈ {0,1}', () => {
      const n = get('N01-v27-form');
      assert.equal(relaySignatureFormatProblem(n.signature_sent), 'invalid signature recovery id');
      const s = based(n);
      assert.equal(signRelayFields(s.private_key, fieldsOf(s), s.timestamp).signature.slice(0, 130), n.signature_sent.slice(0, 130));
      assert.notEqual(signRelayFields(s.private_key, fieldsOf(s), s.timestamp).signature, n.signature_sent);
    });

    it('N02 high-S twin: flagged; ours is the low-S one', () => {
      const n = get('N02-high-s-twin');
      assert.equal(relaySignatureFormatProblem(n.signature_sent), 'high-S signature');
      const s = based(n);
      const ours = signRelayFields(s.private_key, fieldsOf(s), s.timestamp).signature;
      assert.notEqual(ours, n.signature_sent);
      assert.equal(relaySignatureFormatProblem(ours), null);
    });

    it('N03 JSON.stringify instead of Go: different bytes, an unrelated signer', () => {
      const n = get('N03-json-stringify-not-go');
      const fields = { task_args: n.task_args as string, task_id: BigInt(n.task_id) };
      const ours = relaySigningString(fields, n.timestamp);
      assert.equal(ours, n.relay_signed_string);
      assert.notEqual(ours, n.client_signed_string);
      assert.equal(n.client_signed_string, `{"task_args":${JSON.stringify(n.task_args)},"task_id":${n.task_id}}${n.timestamp}`);
      assert.equal(keccak256(toUtf8Bytes(ours)), n.relay_keccak256);
      assert.equal(keccak256(toUtf8Bytes(n.client_signed_string)), n.client_keccak256);
      assert.equal(recoverRelaySigner(fields, n.timestamp, n.signature_sent), n.relay_recovers);
      assert.notEqual(n.relay_recovers, n.actual_signer);
    });

    it('N04 EIP-191: signMessage gives other bytes; the v01 form recovers an unrelated address', async () => {
      const n = get('N04-eip191-personal-sign');
      const s = based(n);
      assert.equal(await new Wallet(s.private_key).signMessage(n.signed_string), n.signature_sent_v27);
      assert.equal(relaySignatureFormatProblem(n.signature_sent_v27), 'invalid signature recovery id');
      assert.equal(recoverRelaySigner(fieldsOf(s), s.timestamp, n.signature_sent_v01), n.relay_recovers_from_v01);
      assert.notEqual(signRelayFields(s.private_key, fieldsOf(s), s.timestamp).signature, n.signature_sent_v01);
    });

    it('N05/N06 timestamps: seconds are signed as given (the window is the relay\'s check)', () => {
      const n5 = get('N05-timestamp-window');
      const s = based(n5);
      assert.equal(signRelayFields(s.private_key, fieldsOf(s), n5.timestamp).signature, n5.signature);
      const n6 = get('N06-timestamp-in-milliseconds');
      assert.equal(relaySigningString({ task_id: 42 }, n6.timestamp_sent), n6.signed_string);
      assert.equal(signRelayFields(s.private_key, { task_id: 42 }, n6.timestamp_sent).signature, n6.signature);
    });

    it('N07 missing 0x: the relay drops two hex digits → wrong length; P08 uppercase hex passes', () => {
      assert.equal(relaySignatureFormatProblem(get('N07-missing-0x-prefix').signature_sent), 'invalid signature length');
      const p = get('P08-uppercase-hex-accepted');
      const s = based(p);
      assert.equal(relaySignatureFormatProblem(p.signature_sent), null);
      assert.equal(recoverRelaySigner(fieldsOf(s), s.timestamp, p.signature_sent), s.signer);
      assert.match(signRelayFields(s.private_key, fieldsOf(s), s.timestamp).signature, /^0x[0-9a-f]{130}$/);
    });

    it('N09 image_num "00" signs fine (it fails later as File not found)', () => {
      const n = get('N09-image-num-not-canonical');
      const fields = { image_num: n.image_num as string, task_id: BigInt(n.task_id) };
      assert.equal(relaySigningString(fields, n.timestamp), n.signed_string);
      assert.equal(signRelayFields(n.private_key, fields, n.timestamp).signature, n.signature);
    });

    for (const id of ['N10-image-num-as-number', 'N11-task-id-as-string', 'N12-whitespace-python-default']) {
      it(`${id}: ours signs the relay's bytes, not the client's`, () => {
        const n = get(id);
        const fields: RelayFields = n.image_num !== undefined ? { image_num: n.image_num, task_id: BigInt(n.task_id) } : { task_id: BigInt(n.task_id) };
        assert.equal(relaySigningString(fields, n.timestamp), n.relay_signed_string);
        assert.notEqual(relaySigningString(fields, n.timestamp), n.client_signed_string);
        assert.equal(recoverRelaySigner(fields, n.timestamp, n.signature_sent), n.relay_recovers);
      });
    }

    it('N13 re-serialised args hash differently', () => {
      const n = get('N13-task-hash-after-reserialisation');
      assert.equal(taskHash(n.on_chain_task_args), n.on_chain_task_hash);
      assert.equal(taskHash(n.uploaded_task_args), n.uploaded_task_args_keccak256);
      assert.notEqual(n.on_chain_task_hash, n.uploaded_task_args_keccak256);
    });

    it('covers every negative vector', () => {
      const covered = ['N01', 'N02', 'N03', 'N04', 'N05', 'N06', 'N07', 'P08', 'N09', 'N10', 'N11', 'N12', 'N13'];
      assert.deepEqual(vectors.negative.map((n) => String(n.id).slice(0, 3)), covered);
    });
  });

  describe('task_hash', () => {
    for (const h of vectors.task_hash) {
      it(`${h.id}`, () => assert.equal(taskHash(h.task_args), h.keccak256));
    }
  });

  describe('go_string_escaping (bytes via go_output_hex)', () => {
    for (const c of vectors.go_string_escaping.cases) {
      it(`${c.name}`, () => {
        // String.fromCharCode keeps lone surrogates (fromCodePoint would too, but be explicit)
        const input = c.input_code_points.map((cp) => {
          const n = parseInt(cp.slice(2), 16);
          return n > 0xffff ? String.fromCodePoint(n) : String.fromCharCode(n);
        }).join('');
        assert.equal(hexOf(goJsonString(input)), c.go_output_hex);
        assert.equal(JSON.stringify(input), c.json_stringify);
        // For U+0008/U+000C the flag compares with Go >= 1.22 (`\b`, `\f`); the 2024 relay (Go 1.19) wrote \u0008/\u000c.
        const modernGo = c.go_1_22_and_later ?? c.go_output;
        assert.equal(modernGo === JSON.stringify(input), c.same_as_json_stringify);
      });
    }
  });
});
