/**
 * SPEC §5: signed strings, signatures with v ∈ {0,1} and low S, key handling, and the
 * relay's format checks.
 */
import assert from 'node:assert/strict';
import { Wallet, getBytes, keccak256, recoverAddress, toUtf8Bytes } from 'ethers';
import {
  addressOfKey,
  normalizePrivateKey,
  recoverRelaySigner,
  relaySignatureFormatProblem,
  relaySigningString,
  signRelayFields,
} from '../../lib/protocol/signing';
import { taskHash } from '../../lib/protocol/task-hash';

// The key and signature pinned in crynux-node's relay signing test (SPEC vector S01).
const NODE_TEST_KEY = '0x420fcabfd5dbb55215490693062e6e530840c64de837d071f0d9da21aaac861e';
const NODE_TEST_ADDRESS = '0xd075aB490857256e6fc85d75d8315e7c9914e008';
const S01_SIGNATURE =
  '0xdd78a14f5dcef6a57c5cfba8466baa1ac0ad2767e52eaf5a409895742e0475b4402acacaed2a2d7f158eac2f39849d653b45f207b0204858114cd38c415de5c700';
const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');

describe('relaySigningString (SPEC §5.1, §5.3)', () => {
  it('A, upload args: {"task_args":goStr,"task_id":N} + ts', () => {
    assert.equal(
      relaySigningString({ task_id: 42, task_args: '{"prompt":"a <cat> & dog","n":1}' }, 1720000000),
      '{"task_args":"{\\"prompt\\":\\"a \\u003ccat\\u003e \\u0026 dog\\",\\"n\\":1}","task_id":42}1720000000',
    );
  });
  it('B and C, get task / upload results: {"task_id":N} + ts', () => {
    assert.equal(relaySigningString({ task_id: 1 }, 1692446475), '{"task_id":1}1692446475');
  });
  it('D, get result: image_num is a string, keys sorted', () => {
    assert.equal(relaySigningString({ task_id: 42n, image_num: '0' }, 1720000000), '{"image_num":"0","task_id":42}1720000000');
  });
  it('writes ids beyond 2^53 exactly when given as bigint', () => {
    assert.equal(relaySigningString({ task_id: 9007199254740993n }, 1n), '{"task_id":9007199254740993}1');
    assert.equal(relaySigningString({ task_id: 2n ** 64n - 1n }, 1), '{"task_id":18446744073709551615}1');
  });
  it('refuses numbers the relay could not have decoded', () => {
    assert.throws(() => relaySigningString({ task_id: 2 ** 53 + 2 }, 1), /bigint/);
    assert.throws(() => relaySigningString({ task_id: -1 }, 1), RangeError);
    assert.throws(() => relaySigningString({ task_id: 1.5 }, 1), RangeError);
    assert.throws(() => relaySigningString({ task_id: 2n ** 64n }, 1), RangeError);
    assert.throws(() => relaySigningString({ task_id: 1 }, 1.5), /timestamp/);
  });
});

describe('signRelayFields (SPEC §5.1)', () => {
  it('reproduces the signature pinned upstream (v = 0, not 27)', () => {
    const { signature, timestamp } = signRelayFields(NODE_TEST_KEY, { task_id: 1 }, 1692446475);
    assert.equal(signature, S01_SIGNATURE);
    assert.equal(timestamp, 1692446475);
  });

  it('gives the same signature for a key with or without 0x (SPEC §5.6)', () => {
    const a = signRelayFields(NODE_TEST_KEY, { task_id: 7 }, 1720000000).signature;
    const b = signRelayFields(NODE_TEST_KEY.slice(2), { task_id: 7 }, 1720000000).signature;
    const c = signRelayFields(NODE_TEST_KEY.toUpperCase().replace('0X', '0x'), { task_id: 7 }, 1720000000).signature;
    assert.equal(a, b);
    assert.equal(a, c);
  });

  it('produces 0x + 130 lowercase hex, v in {0,1} (both occur), low S, and recovers to the signer', () => {
    const seenV = new Set<number>();
    for (let ts = 1720000000; ts < 1720000040; ts++) {
      const { signature } = signRelayFields(NODE_TEST_KEY, { task_id: 42 }, ts);
      assert.match(signature, /^0x[0-9a-f]{130}$/);
      const v = parseInt(signature.slice(130), 16);
      seenV.add(v);
      assert.ok(v === 0 || v === 1, `v = ${v}`);
      assert.ok(BigInt(`0x${signature.slice(66, 130)}`) <= N / 2n, 'high S');
      assert.equal(relaySignatureFormatProblem(signature), null);
      assert.equal(recoverRelaySigner({ task_id: 42 }, ts, signature), NODE_TEST_ADDRESS);
      // independent check with ethers: keccak256 of the exact string, v shifted back to 27/28
      const digest = keccak256(toUtf8Bytes(`{"task_id":42}${ts}`));
      const ethersSig = `${signature.slice(0, 130)}${(27 + v).toString(16)}`;
      assert.equal(recoverAddress(digest, ethersSig), NODE_TEST_ADDRESS);
    }
    assert.deepEqual([...seenV].sort(), [0, 1]);
  });

  it('is not an EIP-191 signature (signMessage signs other bytes)', async () => {
    const ours = signRelayFields(NODE_TEST_KEY, { task_id: 42 }, 1720000000).signature;
    const eip191 = await new Wallet(NODE_TEST_KEY).signMessage('{"task_id":42}1720000000');
    assert.notEqual(ours.slice(0, 130), eip191.slice(0, 130));
  });
});

describe('relaySignatureFormatProblem (SPEC §5.5)', () => {
  const good = S01_SIGNATURE;
  it('accepts our form and uppercase hex', () => {
    assert.equal(relaySignatureFormatProblem(good), null);
    assert.equal(relaySignatureFormatProblem(`0x${good.slice(2).toUpperCase()}`), null);
  });
  it('flags v = 27/28 (the ethers form) as v >= 4', () => {
    assert.equal(relaySignatureFormatProblem(`${good.slice(0, 130)}1b`), 'invalid signature recovery id');
  });
  it('flags the high-S twin', () => {
    const s = BigInt(`0x${good.slice(66, 130)}`);
    const twin = `${good.slice(0, 66)}${(N - s).toString(16).padStart(64, '0')}01`;
    assert.equal(relaySignatureFormatProblem(twin), 'high-S signature');
  });
  it('flags a missing 0x (the relay drops two hex digits) and bad hex', () => {
    assert.equal(relaySignatureFormatProblem(good.slice(2)), 'invalid signature length');
    assert.equal(relaySignatureFormatProblem(`0x${'zz'.repeat(65)}`), 'invalid hex');
    assert.equal(relaySignatureFormatProblem('0x123'), 'invalid hex');
  });
  it('makes recoverRelaySigner throw instead of recovering a wrong address', () => {
    assert.throws(() => recoverRelaySigner({ task_id: 1 }, 1692446475, `${good.slice(0, 130)}1b`), /recovery id/);
  });
});

describe('keys (SPEC §5.6)', () => {
  it('normalises with or without 0x and derives the address', () => {
    assert.equal(normalizePrivateKey(NODE_TEST_KEY.slice(2)), NODE_TEST_KEY);
    assert.equal(normalizePrivateKey(`  ${NODE_TEST_KEY}  `), NODE_TEST_KEY);
    assert.equal(addressOfKey(NODE_TEST_KEY.slice(2)), NODE_TEST_ADDRESS);
    assert.equal(addressOfKey(NODE_TEST_KEY), new Wallet(NODE_TEST_KEY).address);
  });
  it('never echoes a malformed key in the error', () => {
    const bad = `${NODE_TEST_KEY.slice(0, 60)}zz`;
    assert.throws(
      () => normalizePrivateKey(bad),
      (err: Error) => !err.message.includes(bad.slice(2, 40)) && /64 hexadecimal/.test(err.message),
    );
    assert.throws(() => normalizePrivateKey(undefined as unknown as string), TypeError);
  });
});

describe('taskHash (SPEC §6.1)', () => {
  it('is keccak256 of the exact UTF-8 bytes (relay unit test vector H01)', () => {
    const args =
      '{"base_model": "runwayml/stable-diffusion-v1-5", "prompt": "best quality, ultra high res, photorealistic++++, 1girl, off-shoulder sweater, smiling, faded ash gray messy bun hair+, border light, depth of field, looking at viewer, closeup", "negative_prompt": "paintings, sketches, worst quality+++++, low quality+++++, normal quality+++++, lowres, normal quality, monochrome++, grayscale++, skin spots, acnes, skin blemishes, age spot, glans", "task_config": {"num_images": 1, "safety_checker": false}}';
    assert.equal(taskHash(args), '0xe8a09714ac70305cbc7c35202d5c77927b4390c0c26274fd33aadd9061d222ce');
  });
  it('changes with whitespace and key order (never re-serialise)', () => {
    assert.notEqual(taskHash('{"a":1,"b":2}'), taskHash('{"b":2,"a":1}'));
    assert.notEqual(taskHash('{"a":1}'), taskHash('{"a": 1}'));
  });
  it('hashes non-ASCII as UTF-8 and a lone surrogate as U+FFFD (what the relay hashes)', () => {
    assert.equal(taskHash('é'), keccak256(new Uint8Array([0xc3, 0xa9])));
    assert.equal(taskHash('x\ud83dy'), taskHash('x\ufffdy'));
    assert.equal(getBytes(taskHash('')).length, 32);
  });
  it('refuses anything but a string', () => {
    assert.throws(() => taskHash({ a: 1 } as unknown as string), TypeError);
  });
});
