/**
 * The simulated workers' pure parts: the Python json.dump writer of the GPT reply file
 * (SPEC §6.5), commitments (SPEC §7.3), deterministic SD images and the prompt markers.
 */
import assert from 'node:assert/strict';
import { keccak256 } from 'ethers';
import { PNG } from 'pngjs';
import { hammingDistance } from '../../devnet/image-hash';
import { markersOf } from '../../devnet/workers/markers';
import { gptReplyFile, gptResult, pyJsonDumps, sdImages, sdRequestOf, sdRequestProblem, sdResult } from '../../devnet/workers/results';
import { packResultAndNonce } from '../../devnet/workers/tx';
import { describeWithShared, readShared } from '../helpers/shared';

describe('devnet workers: GPT reply file', () => {
  it('writes Python json.dump bytes: ", " and ": " separators, non-ASCII as \\uXXXX, keys in order', () => {
    const text = pyJsonDumps({ model: 'm', choices: [{ content: 'café 🎉 <ok> / "q" \\ \n\u007f' }], usage: {}, list: [] });
    assert.equal(text, '{"model": "m", "choices": [{"content": "caf\\u00e9 \\ud83c\\udf89 <ok> / \\"q\\" \\\\ \\n\\u007f"}], "usage": {}, "list": []}');
  });

  it('is deterministic, honours num_return_sequences and max_new_tokens', () => {
    const args = { model: 'gpt2', messages: [{ role: 'user', content: 'one two three four five' }], generation_config: { max_new_tokens: 3, num_return_sequences: 2 } };
    const file = gptReplyFile(args);
    assert.ok(file.equals(gptReplyFile(args)));
    const reply = JSON.parse(file.toString('utf8'));
    assert.deepEqual(Object.keys(reply), ['model', 'choices', 'usage']);
    assert.deepEqual(Object.keys(reply.choices[0]), ['finish_reason', 'message', 'index']);
    assert.deepEqual(reply.choices.map((c: { index: number; finish_reason: string }) => [c.index, c.finish_reason]), [[0, 'length'], [1, 'length']]);
    assert.equal(reply.usage.completion_tokens, 6);
    assert.ok(!gptReplyFile(args, 'other').equals(file), 'a variant gives other bytes');
  });
});

describeWithShared('devnet workers: node-side vectors (vectors.json node_side)', () => {
  const ns = readShared<{ node_side: { commitments: Record<string, string>[] } }>('vectors.json').node_side;

  it('R02: the simulated writer reproduces the exact upstream file bytes and hash', () => {
    const r02 = ns.commitments.find((c) => c.id === 'R02-gpt-one-file')!;
    const file = pyJsonDumps(JSON.parse(r02.result_file_utf8));
    assert.equal(file, r02.result_file_utf8);
    assert.equal(`0x${gptResult(Buffer.from(file, 'utf8')).toString('hex')}`, r02.result_file_sha256);
  });

  it('R01/R02: commitment = keccak256(result ‖ nonce)', () => {
    for (const c of ns.commitments) {
      assert.equal(keccak256(packResultAndNonce(Buffer.from(c.result.slice(2), 'hex'), c.nonce)), c.commitment, c.id);
    }
  });
});

describe('devnet workers: SD images', () => {
  const req = sdRequestOf({ prompt: 'a fox', task_config: { image_width: 96, image_height: 40, num_images: 3, seed: 9 } });

  it('renders PNGs of exactly the requested size, the same bytes every time', () => {
    const images = sdImages(req);
    assert.equal(images.length, 3);
    for (const img of images) {
      const png = PNG.sync.read(img);
      assert.deepEqual([png.width, png.height], [96, 40]);
    }
    assert.ok(Buffer.concat(images).equals(Buffer.concat(sdImages(req))));
    assert.equal(sdResult(images).length, 24);
  });

  it('uses the node defaults (512×512, 6 images) and refuses what the simulated GPU cannot render', () => {
    const d = sdRequestOf({ prompt: 'x' });
    assert.deepEqual([d.width, d.height, d.numImages, d.seed], [512, 512, 6, 0]);
    assert.equal(sdRequestProblem(d), null);
    assert.match(sdRequestProblem({ ...d, width: 2048, height: 2048 })!, /pixels/);
    assert.match(sdRequestProblem({ ...d, numImages: 11 })!, /num_images/);
  });

  it('a variant disagrees in the sense of SPEC §7.3 (≥ 5 bits in some 8-byte hash)', () => {
    const a = sdResult(sdImages(req));
    const b = sdResult(sdImages(req, 'illegal-1'));
    const distances = [0, 8, 16].map((i) => hammingDistance(a.subarray(i, i + 8), b.subarray(i, i + 8)));
    assert.ok(distances.some((d) => d >= 5), String(distances));
  });
});

describe('devnet workers: prompt markers', () => {
  it('reads markers from the SD prompt only', () => {
    assert.deepEqual(markersOf(0, { prompt: 'x [devnet:error] [devnet:slow=250]', negative_prompt: '[devnet:stuck]' }), {
      error: true, illegal: false, stuck: false, slowMs: 250, noUpload: false, slash: false,
    });
  });

  it('reads markers from any GPT message content', () => {
    const m = markersOf(1, { messages: [{ role: 'system', content: '[devnet:no-upload]' }, { role: 'user', content: 'hi [devnet:slash][devnet:illegal]' }] });
    assert.deepEqual(m, { error: false, illegal: true, stuck: false, slowMs: 0, noUpload: true, slash: true });
  });

  it('ignores unknown or malformed markers', () => {
    assert.deepEqual(markersOf(0, { prompt: '[devnet:explode] [devnet:slow=] [devnet:stuck' }), {
      error: false, illegal: false, stuck: false, slowMs: 0, noUpload: false, slash: false,
    });
  });
});
