/**
 * Everything our builders emit must pass the schemas the 2024 relay enforced (SPEC §6.3):
 * SD "v1" (68b52d2) and 8fcf6e7, GPT c71a42c, compiled with ajv after deleting every
 * `discriminator` key. And what those schemas reject, ours rejects too.
 */
import assert from 'node:assert/strict';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import fc from 'fast-check';
import { describeWithShared, readShared } from '../helpers/shared';
import { buildGptTaskArgs, buildSdTaskArgs, validateTaskArgs, type BuiltTask, type SdTaskOptions } from '../../lib/task-args';

function withoutDiscriminator(o: unknown): unknown {
  if (Array.isArray(o)) return o.map(withoutDiscriminator);
  if (o && typeof o === 'object') {
    return Object.fromEntries(Object.entries(o).filter(([k]) => k !== 'discriminator').map(([k, v]) => [k, withoutDiscriminator(v)]));
  }
  return o;
}

function upstream(file: string): ValidateFunction {
  const schema = withoutDiscriminator(readShared(`upstream/schemas/${file}`)) as object;
  return new Ajv2020({ allErrors: true, strict: true }).compile(schema);
}

const PREPROCESS: [string, Record<string, unknown> | null][] = [
  ['canny', { low_threshold: 100, high_threshold: 200 }], ['scribble_hed', null], ['scribble_hedsafe', null],
  ['softedge_hedsafe', null], ['depth_midas', null], ['openpose', null], ['openpose_face', null],
  ['openpose_faceonly', null], ['openpose_full', null], ['openpose_hand', null], ['normal_bae', null],
  ['lineart_coarse', null], ['lineart_realistic', null], ['lineart_anime', null], ['mlsd', { thr_v: 10, thr_d: 10 }],
  ['scribble_pidinet', { apply_filter: false }], ['softedge_pidinet', { apply_filter: true }],
  ['scribble_pidisafe', { apply_filter: false }], ['softedge_pidisafe', null], ['depth_zoe', { gamma_corrected: false }],
  ['depth_leres', { thr_a: 0, thr_b: 0 }], ['depth_leres++', { thr_a: 1, thr_b: 2 }], ['shuffle', { h: null, w: 64, f: null }],
  ['mediapipe_face', { max_faces: 1, min_confidence: 50 }],
];
const IMAGE = 'data:image/png;base64,iVBORw0KGgo=';

function sdMatrix(): SdTaskOptions[] {
  const out: SdTaskOptions[] = [];
  for (const model of ['sd15', 'sdxl', 'sdxl-turbo', 'crynux-ai/stable-diffusion-v1-5', 'someone/custom']) {
    out.push({ model, prompt: 'a <cat> & "dog" \u2028 😀' });
  }
  for (const numImages of [1, 10]) for (const seed of [0, 2 ** 31 - 1]) out.push({ prompt: 'x', numImages, seed, steps: 100, cfg: 20 });
  out.push({ prompt: 'x', steps: 1, cfg: 1, width: 64, height: 2048, safetyChecker: true, negativePrompt: 'blurry' });
  for (const [method, args] of PREPROCESS) {
    out.push({ prompt: 'x', controlnet: { model: 'lllyasviel/control', imageDataUrl: IMAGE, weight: 2, preprocess: { method, args } } });
  }
  out.push({ prompt: 'x', controlnet: { model: 'lllyasviel/control', imageDataUrl: IMAGE } });
  out.push({ prompt: 'x', controlnet: { model: 'lllyasviel/control', imageDataUrl: IMAGE, preprocess: null } });
  out.push({ prompt: 'x', lora: { model: 'a/b' } }, { prompt: 'x', lora: { model: 'https://x/y.safetensors', weightFileName: 'y.safetensors', weight: 100 } });
  out.push({ prompt: 'x', refiner: { model: 'stabilityai/stable-diffusion-xl-refiner-1.0', variant: 'fp16', denoisingCutoff: 80, steps: 20 } });
  out.push({ prompt: 'x', vae: 'a/vae', textualInversion: 'a/ti', unet: 'latent-consistency/lcm-sdxl' });
  out.push({ prompt: 'x', scheduler: { method: 'DPMSolverMultistepScheduler', args: { use_karras_sigmas: true, solver_order: 2 } } });
  out.push({ prompt: 'x', scheduler: { method: 'LCMScheduler', args: { original_inference_steps: 50, timestep_scaling: 10 } } });
  out.push({ prompt: 'x', scheduler: { method: 'EulerAncestralDiscreteScheduler', args: null } });
  return out;
}

function gptMatrix(): BuiltTask[] {
  return [
    buildGptTaskArgs({ model: 'gpt2', prompt: 'hi' }),
    buildGptTaskArgs({ model: 'Qwen/Qwen2.5-7B-Instruct', systemPrompt: 'Be <brief>', prompt: 'x', temperature: 0.7, topP: 0.9, topK: 40 }),
    buildGptTaskArgs({
      model: 'm/x', messages: [{ role: 'system', content: '' }, { role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }],
      maxNewTokens: 1, doSample: false, numBeams: 4, typicalP: 1, repetitionPenalty: 1.2, numReturnSequences: 10,
      seed: 0, dtype: 'float32', quantizeBits: 8,
    }),
    buildGptTaskArgs({ model: 'm/x', prompt: 'x', dtype: 'auto', quantizeBits: 4, seed: 2 ** 31 - 1 }),
  ];
}

describeWithShared('conformance: task args vs the upstream 2024 schemas (SPEC §6.3)', () => {
  const sdV1 = upstream('stable-diffusion-task@68b52d2__schema__stable-diffusion-inference-task.json');
  const sd8f = upstream('stable-diffusion-task@8fcf6e7__schema__stable-diffusion-inference-task.json');
  const gpt = upstream('gpt-task@c71a42c__schema__gpt-inference-task.json');
  const check = (v: ValidateFunction, args: string) => assert.ok(v(JSON.parse(args)), `${args}\n${JSON.stringify(v.errors)}`);

  it('every SD build passes v1 (68b52d2) and 8fcf6e7', () => {
    const matrix = sdMatrix();
    assert.ok(matrix.length > 40);
    for (const opts of matrix) {
      const b = buildSdTaskArgs(opts);
      check(sdV1, b.taskArgs);
      check(sd8f, b.taskArgs);
    }
  });

  it('every GPT build passes c71a42c', () => {
    for (const b of gptMatrix()) check(gpt, b.taskArgs);
  });

  it('random builder options: either a TaskArgsError or args every 2024 schema accepts', () => {
    const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 });
    // mostly valid values (so most runs reach the upstream check), sometimes anything
    const mostly = <T>(valid: fc.Arbitrary<T>, any: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: any, weight: 1 });
    const sdOptions = fc.record({
      model: opt(fc.constantFrom('sd15', 'sdxl', 'sdxl-turbo', 'a/b', 'crynux-ai/sdxl-turbo', 'https://x/y')),
      prompt: mostly(fc.string({ minLength: 1, maxLength: 20 }), fc.constant('')),
      negativePrompt: opt(fc.string({ maxLength: 10 })),
      numImages: opt(mostly(fc.integer({ min: 1, max: 10 }), fc.integer({ min: -1, max: 12 }))),
      steps: opt(mostly(fc.integer({ min: 1, max: 100 }), fc.integer({ min: -1, max: 101 }))),
      cfg: opt(mostly(fc.integer({ min: 1, max: 20 }), fc.double({ min: -1, max: 21, noNaN: true }))),
      seed: opt(mostly(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: -1, max: 2 ** 31 }))),
      width: opt(mostly(fc.integer({ min: 8, max: 256 }).map((n) => n * 8), fc.integer({ min: 0, max: 3000 }))),
      safetyChecker: opt(fc.boolean()),
      lora: opt(fc.record({ model: mostly(fc.constantFrom('a/b', 'https://x/l.safetensors'), fc.constant('')), weight: opt(mostly(fc.integer({ min: 2, max: 100 }), fc.integer({ min: 0, max: 101 }))) })),
      scheduler: opt(fc.record({ method: fc.constantFrom('DPMSolverMultistepScheduler', 'EulerAncestralDiscreteScheduler', 'LCMScheduler') })),
    });
    let built = 0;
    fc.assert(
      fc.property(sdOptions, (o) => {
        let b: BuiltTask;
        try {
          b = buildSdTaskArgs(o as SdTaskOptions);
        } catch (err) {
          return (err as Error).name === 'TaskArgsError';
        }
        built++;
        return sdV1(JSON.parse(b.taskArgs)) && sd8f(JSON.parse(b.taskArgs)) && b.cap >= 1;
      }),
      { numRuns: 300 },
    );
    assert.ok(built > 100, `only ${built} of 300 runs built args`);
  });

  // Rejected by the schema the mid-2024 relay enforced; ours must reject them too (strict and lenient).
  const base = { base_model: 'runwayml/stable-diffusion-v1-5', prompt: 'x', task_config: { num_images: 1, steps: 20, seed: 1, safety_checker: false, image_width: 512, image_height: 512 } };
  const tc = (patch: object) => ({ ...base, task_config: { ...base.task_config, ...patch } });
  const rejectedByBoth: [string, object][] = [
    ['object base_model', { ...base, base_model: { name: 'a/b' } }],
    ['empty prompt', { ...base, prompt: '' }],
    ['no task_config', { base_model: 'a/b', prompt: 'x' }],
    ['num_images 0', tc({ num_images: 0 })],
    ['num_images 11', tc({ num_images: 11 })],
    ['steps 101', tc({ steps: 101 })],
    ['cfg 0', tc({ cfg: 0 })],
    ['cfg 7.5', tc({ cfg: 7.5 })],
    ['seed 2^31', tc({ seed: 2 ** 31 })],
    ['safety_checker "no"', tc({ safety_checker: 'no' })],
    ['negative_prompt null', { ...base, negative_prompt: null }],
    ['lora weight 0', { ...base, lora: { model: 'a/b', weight: 0 } }],
    ['lora without model', { ...base, lora: { weight: 50 } }],
    ['controlnet without image', { ...base, controlnet: { model: 'a/b' } }],
    ['preprocess dwpose', { ...base, controlnet: { model: 'a/b', image_dataurl: IMAGE, preprocess: { method: 'dwpose' } } }],
    ['preprocess softedge_hed', { ...base, controlnet: { model: 'a/b', image_dataurl: IMAGE, preprocess: { method: 'softedge_hed' } } }],
    ['refiner steps 0', { ...base, refiner: { model: 'a/b', steps: 0 } }],
  ];
  for (const [name, args] of rejectedByBoth) {
    it(`upstream v1 and ours both reject: ${name}`, () => {
      assert.equal(sdV1(args), false, 'upstream accepted it');
      assert.equal(validateTaskArgs(0, args).valid, false);
      assert.equal(validateTaskArgs(0, args, { allowUnknownKeys: true }).valid, false);
    });
  }

  // Accepted upstream but refused by our stricter overlay, each for a reason in SPEC §6.2/§6.3/§8.
  const stricter: [string, object, string][] = [
    ['percent 1 means 100 % (trap 22)', { ...base, lora: { model: 'a/b', weight: 1 } }, 'lora.weight'],
    ['unknown key (typo)', { ...base, negative_promt: 'x' }, 'negative_promt'],
    ['dtype (not in 2024)', { ...base, dtype: 'float16' }, 'dtype'],
    ['implicit defaults (trap 21)', { ...base, task_config: { num_images: 1 } }, 'task_config.steps'],
  ];
  for (const [name, args, path] of stricter) {
    it(`ours is stricter: ${name}`, () => {
      assert.equal(sdV1(args), true);
      const r = validateTaskArgs(0, args);
      assert.ok(!r.valid && r.issues.some((i) => i.path === path), JSON.stringify(r));
    });
  }

  const gptBase = { model: 'gpt2', messages: [{ role: 'user', content: 'x' }] };
  const gptRejected: [string, object][] = [
    ['no messages', { model: 'gpt2' }],
    ['empty model', { ...gptBase, model: '' }],
    ['role tool', { ...gptBase, messages: [{ role: 'tool', content: 'x' }] }],
    ['content null', { ...gptBase, messages: [{ role: 'user', content: null }] }],
    ['quantize_bits 2', { ...gptBase, quantize_bits: 2 }],
    ['dtype fp16', { ...gptBase, dtype: 'fp16' }],
    ['max_new_tokens "10"', { ...gptBase, generation_config: { max_new_tokens: '10' } }],
  ];
  for (const [name, args] of gptRejected) {
    it(`upstream GPT schema and ours both reject: ${name}`, () => {
      assert.equal(gpt(args), false, 'upstream accepted it');
      assert.equal(validateTaskArgs(1, args).valid, false);
      assert.equal(validateTaskArgs(1, args, { allowUnknownKeys: true }).valid, false);
    });
  }

  it('the SD and GPT args of vectors.json: our lenient mode agrees with the v1 schema', () => {
    const v = readShared<{ task_hash: { id: string; task_args: string }[] }>('vectors.json');
    let checked = 0;
    for (const h of v.task_hash) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(h.task_args) as Record<string, unknown>;
      } catch {
        continue; // S08 carries a raw tab: not JSON (the relay answers 500)
      }
      const type = 'messages' in parsed ? 1 : 0;
      const theirs = type === 0 ? sdV1(parsed) : gpt(parsed);
      assert.equal(validateTaskArgs(type, h.task_args, { allowUnknownKeys: true }).valid, theirs, h.id);
      checked++;
    }
    assert.ok(checked >= 10);
  });
});
