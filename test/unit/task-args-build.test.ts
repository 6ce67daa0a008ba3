/**
 * SPEC §6: the builders write the safe profile (§6.3), explicit defaults (§8 trap 21), the
 * vramLimit/cap rules (§6.6, §3.4), and name the caller's option when something is wrong.
 */
import assert from 'node:assert/strict';
import { keccak256, toUtf8Bytes } from 'ethers';
import { TaskArgsError } from '../../lib/errors';
import {
  SD_PRESETS,
  buildGptTaskArgs,
  buildSdTaskArgs,
  sdVramLimit,
  validateTaskArgs,
  type SdTaskOptions,
} from '../../lib/task-args';

const parse = (s: string) => JSON.parse(s) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function rejects(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof TaskArgsError, `expected TaskArgsError, got ${String(err)}`);
    assert.equal(err.code, 'TASK_ARGS');
    assert.ok(err.message.includes(message), `"${err.message}" should include "${message}"`);
    return true;
  });
}

describe('buildSdTaskArgs', () => {
  it('writes compact JSON in a fixed key order, every task_config value explicit', () => {
    const b = buildSdTaskArgs({ prompt: 'a cat & <dog>', seed: 42 });
    assert.equal(
      b.taskArgs,
      '{"version":"2.0.0","base_model":"runwayml/stable-diffusion-v1-5","prompt":"a cat & <dog>","negative_prompt":"",' +
        '"task_config":{"num_images":1,"steps":30,"cfg":7,"seed":42,"image_width":512,"image_height":512,"safety_checker":false}}',
    );
    assert.equal(b.taskType, 0);
    assert.equal(b.taskHash, keccak256(toUtf8Bytes(b.taskArgs)));
    assert.equal(b.vramLimit, 8);
    assert.equal(b.cap, 1);
  });

  it('picks a random seed in 0…2^31−1 when none is given, and writes the one it used', () => {
    const seeds = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const seed = parse(buildSdTaskArgs({ prompt: 'x' }).taskArgs).task_config.seed as number;
      assert.ok(Number.isInteger(seed) && seed >= 0 && seed <= 2 ** 31 - 1, String(seed));
      seeds.add(seed);
    }
    assert.ok(seeds.size > 1, 'seeds vary');
  });

  it('cap follows numImages and is never 0', () => {
    for (const n of [1, 4, 10]) assert.equal(buildSdTaskArgs({ prompt: 'x', numImages: n }).cap, n);
    rejects(() => buildSdTaskArgs({ prompt: 'x', numImages: 0 }), 'numImages must be a whole number from 1 to 10');
  });

  it('presets: sdxl-turbo gets Euler-Ancestral with trailing spacing, 1 step, cfg 1 (§6.2)', () => {
    const a = parse(buildSdTaskArgs({ model: 'sdxl-turbo', prompt: 'x', seed: 1 }).taskArgs);
    assert.equal(a.base_model, 'stabilityai/sdxl-turbo');
    assert.deepEqual(a.scheduler, { method: 'EulerAncestralDiscreteScheduler', args: { timestep_spacing: 'trailing' } });
    assert.equal(a.task_config.steps, 1);
    assert.equal(a.task_config.cfg, 1);
    const xl = parse(buildSdTaskArgs({ model: 'sdxl', prompt: 'x' }).taskArgs);
    assert.equal(xl.base_model, SD_PRESETS.sdxl.baseModel);
    assert.equal(xl.task_config.image_width, 1024);
    assert.equal(xl.scheduler, undefined, 'no scheduler unless the recipe needs one');
  });

  it('a preset chosen by a mirror repo id keeps that id and the recipe', () => {
    const a = parse(buildSdTaskArgs({ model: 'crynux-ai/sdxl-turbo', prompt: 'x' }).taskArgs);
    assert.equal(a.base_model, 'crynux-ai/sdxl-turbo');
    assert.equal(a.task_config.steps, 1);
    assert.equal(parse(buildSdTaskArgs({ baseModel: 'someone/custom-sd', prompt: 'x' }).taskArgs).base_model, 'someone/custom-sd');
  });

  it('options override the preset, and scheduler: null drops the preset scheduler', () => {
    const opts: SdTaskOptions = { model: 'sdxl-turbo', prompt: 'x', steps: 4, cfg: 2, width: 768, height: 512, safetyChecker: true, numImages: 3 };
    const a = parse(buildSdTaskArgs(opts).taskArgs);
    assert.deepEqual(a.task_config, { num_images: 3, steps: 4, cfg: 2, seed: a.task_config.seed, image_width: 768, image_height: 512, safety_checker: true });
    assert.equal(parse(buildSdTaskArgs({ model: 'sdxl-turbo', prompt: 'x', scheduler: null }).taskArgs).scheduler, undefined);
    const lcm = parse(buildSdTaskArgs({ prompt: 'x', scheduler: { method: 'LCMScheduler' } }).taskArgs);
    assert.deepEqual(lcm.scheduler, { method: 'LCMScheduler', args: null });
  });

  it('vramLimit: SD 1.5 → 8, SDXL / Turbo / 2.x → 14, unknown → 10, refiner ≥ 14, override wins (§6.6)', () => {
    const vram = (model: string, extra: Partial<SdTaskOptions> = {}) => buildSdTaskArgs({ model, prompt: 'x', ...extra }).vramLimit;
    assert.equal(vram('sd15'), 8);
    assert.equal(vram('runwayml/stable-diffusion-v1-5'), 8);
    assert.equal(vram('crynux-ai/stable-diffusion-v1-5'), 8);
    assert.equal(vram('sdxl'), 14);
    assert.equal(vram('stabilityai/stable-diffusion-xl-base-1.0'), 14);
    assert.equal(vram('stabilityai/sdxl-turbo'), 14);
    assert.equal(vram('stabilityai/stable-diffusion-2-1'), 14);
    assert.equal(vram('someone/unknown-model'), 10);
    assert.equal(vram('sd15', { refiner: { model: 'stabilityai/stable-diffusion-xl-refiner-1.0' } }), 14);
    assert.equal(vram('sdxl', { vramLimit: 24 }), 24);
    assert.equal(vram('sd15', { vramLimit: 6 }), 6);
    assert.equal(sdVramLimit('Someone/My-SDXL-Finetune'), 14);
    assert.equal(sdVramLimit('someone/stable-diffusion-v1-5-pruned'), 8);
    rejects(() => vram('sd15', { vramLimit: 0 }), 'vramLimit must be a whole number of GB');
    rejects(() => vram('sd15', { vramLimit: 7.5 }), 'vramLimit must be a whole number of GB');
  });

  it('maps lora / controlnet / refiner / vae / textual inversion / unet to the wire names', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    const a = parse(
      buildSdTaskArgs({
        prompt: 'x',
        lora: { model: 'someone/lora', weightFileName: 'w.safetensors', weight: 80 },
        controlnet: { model: 'lllyasviel/sd-controlnet-canny', image: png, weight: 60, preprocess: { method: 'canny', args: { low_threshold: 50, high_threshold: 150 } } },
        refiner: { model: 'stabilityai/stable-diffusion-xl-refiner-1.0', variant: 'fp16', denoisingCutoff: 75, steps: 15 },
        vae: 'madebyollin/sdxl-vae-fp16-fix',
        textualInversion: 'sd-concepts-library/cat-toy',
        unet: 'latent-consistency/lcm-sdxl',
      }).taskArgs,
    );
    assert.deepEqual(a.lora, { model: 'someone/lora', weight_file_name: 'w.safetensors', weight: 80 });
    assert.deepEqual(a.controlnet, {
      model: 'lllyasviel/sd-controlnet-canny',
      image_dataurl: `data:image/png;base64,${png.toString('base64')}`,
      weight: 60,
      preprocess: { method: 'canny', args: { low_threshold: 50, high_threshold: 150 } },
    });
    assert.deepEqual(a.refiner, { model: 'stabilityai/stable-diffusion-xl-refiner-1.0', variant: 'fp16', denoising_cutoff: 75, steps: 15 });
    assert.equal(a.vae, 'madebyollin/sdxl-vae-fp16-fix');
    assert.equal(a.textual_inversion, 'sd-concepts-library/cat-toy');
    assert.equal(a.unet, 'latent-consistency/lcm-sdxl');
    assert.equal(Object.keys(a).join(','), 'version,base_model,unet,prompt,negative_prompt,task_config,lora,controlnet,refiner,vae,textual_inversion');
  });

  it('never writes dtype, an object base_model or a version other than 2.0.0 (§6.3)', () => {
    const a = parse(buildSdTaskArgs({ model: 'sdxl', prompt: 'x' }).taskArgs);
    assert.equal(a.version, '2.0.0');
    assert.equal(typeof a.base_model, 'string');
    assert.equal('dtype' in a, false);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['too many images', { numImages: 11 }, 'numImages must be a whole number from 1 to 10'],
    ['fractional images', { numImages: 1.5 }, 'numImages must be a whole number from 1 to 10'],
    ['numImages as text', { numImages: '4' }, 'numImages must be a whole number from 1 to 10'],
    ['cfg 0 (the mid-2024 relay refused it)', { cfg: 0 }, 'cfg must be a whole number from 1 to 20'],
    ['fractional cfg', { cfg: 7.5 }, 'cfg must be a whole number from 1 to 20'],
    ['steps 0', { steps: 0 }, 'steps must be a whole number from 1 to 100'],
    ['negative seed', { seed: -1 }, 'seed must be a whole number from 0 to 2147483647'],
    ['seed 2^31', { seed: 2 ** 31 }, 'seed must be a whole number from 0 to 2147483647'],
    ['width not a multiple of 8', { width: 500 }, 'width must be a whole number from 64 to 2048 that is a multiple of 8'],
    ['safetyChecker as text', { safetyChecker: 'yes' }, 'safetyChecker must be true or false'],
    ['empty prompt', { prompt: '' }, 'prompt must not be empty'],
    ['missing prompt', { prompt: undefined }, 'prompt is required'],
    ['URL base model (§8 trap 23)', { model: 'https://example.com/model.safetensors' }, 'model has an unexpected form'],
    ['lora weight 1 means 100 % (§8 trap 22)', { lora: { model: 'a/b', weight: 1 } }, 'lora.weight must be a whole number from 2 to 100'],
    ['lora weight as a fraction', { lora: { model: 'a/b', weight: 0.8 } }, 'lora.weight must be a whole number from 2 to 100'],
    ['controlnet without image', { controlnet: { model: 'a/b' } }, 'controlnet.imageDataUrl is required'],
    ['unsupported preprocess', { controlnet: { model: 'a/b', imageDataUrl: 'data:image/png;base64,AA', preprocess: { method: 'dwpose' } } }, 'controlnet.preprocess.method must be one of'],
    ['preprocess arg typo', { controlnet: { model: 'a/b', imageDataUrl: 'data:image/png;base64,AA', preprocess: { method: 'canny', args: { low_treshold: 1 } } } }, "controlnet.preprocess.args.low_treshold unknown field 'low_treshold' (typo? did you mean 'low_threshold'?)"],
    ['unknown scheduler', { scheduler: { method: 'DDIMScheduler' } }, "scheduler.method must be one of 'DPMSolverMultistepScheduler'"],
    ['refiner cutoff as a fraction', { refiner: { model: 'a/b', denoisingCutoff: 0.8 } }, 'refiner.denoisingCutoff must be a whole number from 2 to 100'],
    ['broken Unicode in the prompt', { prompt: 'cat \ud83d' }, 'prompt contains a broken character'],
    ['unknown option', { numimages: 2 }, "numimages is not a known option (did you mean 'numImages'?)"],
    ['model and baseModel disagree', { model: 'sd15', baseModel: 'sdxl' }, 'model and baseModel disagree'],
    ['a snake_case key in a nested option', { controlnet: { model: 'a/b', image_dataurl: 'data:image/png;base64,AA' } }, "controlnet.image_dataurl is not a known option (did you mean 'imageDataUrl'?)"],
    ['a typo in refiner', { refiner: { model: 'a/b', denoising_cutoff: 50 } }, "refiner.denoising_cutoff is not a known option (did you mean 'denoisingCutoff'?)"],
    ['lora given as a string', { lora: 'a/b' }, 'lora must be an object'],
  ];
  for (const [name, extra, message] of bad) {
    it(`rejects ${name}`, () => rejects(() => buildSdTaskArgs({ prompt: 'a cat', ...extra } as SdTaskOptions), message));
  }

  it('refuses options that are not an object', () => {
    rejects(() => buildSdTaskArgs(null as unknown as SdTaskOptions), 'options must be an object');
  });

  it('the July-2024 doc example: rejected as written, accepted when built with the safe profile (§6.3)', () => {
    // Its shape: version 2.0.0, object base_model, SDXL-Turbo recipe with cfg 0 (SPEC §6.3).
    const docExample = {
      version: '2.0.0',
      base_model: { name: 'crynux-ai/sdxl-turbo', variant: 'fp16' },
      prompt: 'best quality, ultra high res, photorealistic++++, 1girl, off-shoulder sweater, smiling',
      negative_prompt: 'paintings, sketches, worst quality+++++, low quality+++++',
      scheduler: { method: 'EulerAncestralDiscreteScheduler', args: { timestep_spacing: 'trailing' } },
      task_config: { num_images: 1, seed: 42, steps: 1, cfg: 0 },
    };
    const verdict = validateTaskArgs(0, docExample);
    assert.equal(verdict.valid, false);
    const paths = verdict.valid ? [] : verdict.issues.map((i) => i.path);
    for (const p of ['base_model', 'task_config.cfg', 'task_config.safety_checker']) assert.ok(paths.includes(p), p);

    const built = buildSdTaskArgs({
      model: docExample.base_model.name,
      prompt: docExample.prompt,
      negativePrompt: docExample.negative_prompt,
      numImages: 1,
      seed: 42,
    });
    const a = parse(built.taskArgs);
    assert.equal(a.base_model, 'crynux-ai/sdxl-turbo');
    assert.deepEqual(a.scheduler, docExample.scheduler);
    assert.deepEqual(a.task_config, { num_images: 1, steps: 1, cfg: 1, seed: 42, image_width: 512, image_height: 512, safety_checker: false });
    assert.deepEqual(validateTaskArgs(0, built.taskArgs), { valid: true });
    assert.equal(built.cap, 1);
    assert.equal(built.vramLimit, 14);
  });
});

describe('buildGptTaskArgs', () => {
  it('builds the spec example: model, messages, generation_config, seed; cap 1, vramLimit 8', () => {
    const b = buildGptTaskArgs({ model: 'gpt2', prompt: 'first line\u2028second line', maxNewTokens: 30, seed: 42 });
    assert.equal(
      b.taskArgs,
      '{"model":"gpt2","messages":[{"role":"user","content":"first line\u2028second line"}],' +
        '"generation_config":{"max_new_tokens":30,"num_return_sequences":1},"seed":42}',
    );
    assert.equal(b.taskType, 1);
    assert.equal(b.cap, 1);
    assert.equal(b.vramLimit, 8);
    assert.equal(b.taskHash, keccak256(toUtf8Bytes(b.taskArgs)));
    assert.deepEqual(validateTaskArgs(1, b.taskArgs), { valid: true });
  });

  it('systemPrompt comes first; messages are passed through with role and content first', () => {
    const a = parse(buildGptTaskArgs({ model: 'm/x', systemPrompt: 'Be brief.', prompt: 'Hi', seed: 1 }).taskArgs);
    assert.deepEqual(a.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }]);
    const conv = [{ content: 'Hi', role: 'user' as const }, { role: 'assistant' as const, content: 'Hello' }, { role: 'user' as const, content: 'More' }];
    const b = buildGptTaskArgs({ model: 'm/x', messages: conv });
    assert.ok(b.taskArgs.includes('"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello"},{"role":"user","content":"More"}]'));
  });

  it('defaults written out: max_new_tokens 256, num_return_sequences 1, a random seed', () => {
    const a = parse(buildGptTaskArgs({ model: 'm/x', prompt: 'x' }).taskArgs);
    assert.deepEqual(a.generation_config, { max_new_tokens: 256, num_return_sequences: 1 });
    assert.ok(Number.isInteger(a.seed) && a.seed >= 0 && a.seed < 2 ** 31);
  });

  it('sampling options switch do_sample on unless it is given; all generation keys map', () => {
    const a = parse(buildGptTaskArgs({ model: 'm/x', prompt: 'x', temperature: 0.7, topP: 0.9, topK: 40 }).taskArgs);
    assert.equal(a.generation_config.do_sample, true);
    const b = parse(
      buildGptTaskArgs({
        model: 'm/x', prompt: 'x', doSample: false, temperature: 0.7, numBeams: 2, typicalP: 0.5, repetitionPenalty: 1.1,
        numReturnSequences: 2, dtype: 'bfloat16', quantizeBits: 4, maxNewTokens: 10,
      }).taskArgs,
    );
    assert.deepEqual(b.generation_config, {
      max_new_tokens: 10, do_sample: false, num_beams: 2, temperature: 0.7, typical_p: 0.5, repetition_penalty: 1.1, num_return_sequences: 2,
    });
    assert.equal(b.dtype, 'bfloat16');
    assert.equal(b.quantize_bits, 4);
  });

  it('vramLimit override; cap stays 1 even with several return sequences', () => {
    const b = buildGptTaskArgs({ model: 'm/x', prompt: 'x', vramLimit: 24, numReturnSequences: 3 });
    assert.equal(b.vramLimit, 24);
    assert.equal(b.cap, 1);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['no model', { model: undefined }, 'model is required'],
    ['neither prompt nor messages', { prompt: undefined }, 'prompt is required (or give messages)'],
    ['prompt and messages together', { messages: [{ role: 'user', content: 'x' }] }, 'messages cannot be combined with prompt'],
    ['messages not a list', { prompt: undefined, messages: 'hi' }, 'messages must be a list'],
    ['empty conversation', { prompt: undefined, messages: [] }, 'messages must have at least 1 item'],
    ['role tool (2025 only)', { prompt: undefined, messages: [{ role: 'tool', content: 'x' }] }, "messages[0].role must be one of 'system', 'user', 'assistant'"],
    ['content null', { prompt: undefined, messages: [{ role: 'user', content: null }] }, 'messages[0].content must be a string'],
    ['message key typo', { prompt: undefined, messages: [{ role: 'user', content: 'x', contnet: 'y' }] }, "messages[0].contnet unknown field 'contnet' (typo? did you mean 'content'?)"],
    ['temperature 0', { temperature: 0 }, 'temperature must be a number greater than 0'],
    ['maxNewTokens 0', { maxNewTokens: 0 }, 'maxNewTokens must be a whole number of at least 1'],
    ['topP above 1', { topP: 1.5 }, 'topP must be a number greater than 0 and at most 1'],
    ['quantizeBits 3', { quantizeBits: 3 }, 'quantizeBits must be one of 4, 8, null'],
    ['dtype typo', { dtype: 'fp16' }, "dtype must be one of 'float16', 'bfloat16', 'float32', 'auto'"],
    ['seed out of range', { seed: 2 ** 31 }, 'seed must be a whole number from 0 to 2147483647'],
    ['model URL', { model: 'https://huggingface.co/gpt2' }, 'model has an unexpected form'],
    ['broken Unicode', { prompt: '\udc00' }, 'messages[0].content contains a broken character'],
    ['unknown option', { max_new_tokens: 5 }, "max_new_tokens is not a known option (did you mean 'maxNewTokens'?)"],
  ];
  for (const [name, extra, message] of bad) {
    it(`rejects ${name}`, () => rejects(() => buildGptTaskArgs({ model: 'gpt2', prompt: 'hello', ...extra } as never), message));
  }
});
