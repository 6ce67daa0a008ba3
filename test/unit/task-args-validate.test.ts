/**
 * validateTaskArgs: our schemas (SPEC §6.2–6.4) with messages that name the path and say
 * what was expected; strict by default, the relay's leniency on request (§6.3).
 */
import assert from 'node:assert/strict';
import { TaskArgsError } from '../../lib/errors';
import { assertValidTaskArgs, buildGptTaskArgs, buildSdTaskArgs, validateTaskArgs, type ValidateTaskArgsOptions } from '../../lib/task-args';

const SD_OK = {
  base_model: 'runwayml/stable-diffusion-v1-5',
  prompt: 'a cat',
  task_config: { num_images: 1, steps: 25, seed: 0, safety_checker: false, image_width: 512, image_height: 512 },
};
const GPT_OK = { model: 'gpt2', messages: [{ role: 'user', content: 'hi' }] };

/** A deep copy of `base` with `patch` merged (null-valued patch keys delete). */
function variant(base: object, patch: Record<string, unknown>): Record<string, unknown> {
  const out = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (k.includes('.')) {
      const [outer, inner] = k.split('.');
      const o = out[outer] as Record<string, unknown>;
      if (v === undefined) delete o[inner];
      else o[inner] = v;
    } else if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

function issuesOf(taskType: 0 | 1, args: string | object, options?: ValidateTaskArgsOptions) {
  const r = validateTaskArgs(taskType, args, options);
  return r.valid ? [] : r.issues;
}

describe('validateTaskArgs', () => {
  it('accepts minimal complete SD and GPT args, as objects and as strings', () => {
    assert.deepEqual(validateTaskArgs(0, SD_OK), { valid: true });
    assert.deepEqual(validateTaskArgs(0, JSON.stringify(SD_OK)), { valid: true });
    assert.deepEqual(validateTaskArgs(1, GPT_OK), { valid: true });
    assert.deepEqual(validateTaskArgs(1, JSON.stringify(GPT_OK, null, 2)), { valid: true }, 'whitespace is free');
  });

  it('accepts everything the builders emit', () => {
    const all = [
      buildSdTaskArgs({ prompt: 'x' }),
      buildSdTaskArgs({ model: 'sdxl-turbo', prompt: 'x', numImages: 10 }),
      buildSdTaskArgs({
        model: 'sdxl', prompt: 'x', lora: { model: 'a/b', weight: 2 }, refiner: { model: 'c/d', denoisingCutoff: 100 },
        controlnet: { model: 'e/f', imageDataUrl: 'data:image/png;base64,AA', preprocess: { method: 'mediapipe_face', args: { max_faces: 2, min_confidence: 50 } } },
        scheduler: { method: 'DPMSolverMultistepScheduler', args: { use_karras_sigmas: true, algorithm_type: 'sde-dpmsolver++' } },
      }),
      buildGptTaskArgs({ model: 'gpt2', prompt: 'x', temperature: 0.5, quantizeBits: 8, dtype: 'float16' }),
    ];
    for (const b of all) assert.deepEqual(validateTaskArgs(b.taskType, b.taskArgs), { valid: true }, b.taskArgs);
  });

  // [name, taskType, args, expected path, expected message fragment]
  const invalid: [string, 0 | 1, object | string, string, string][] = [
    ['num_images 0', 0, variant(SD_OK, { 'task_config.num_images': 0 }), 'task_config.num_images', 'must be a whole number from 1 to 10'],
    ['num_images 11', 0, variant(SD_OK, { 'task_config.num_images': 11 }), 'task_config.num_images', 'must be a whole number from 1 to 10'],
    ['a typo in task_config', 0, variant(SD_OK, { 'task_config.stepz': 3 }), 'task_config.stepz', "unknown field 'stepz' (typo? did you mean 'steps'?)"],
    ['a typo at the top', 0, variant(SD_OK, { negative_promt: '' }), 'negative_promt', "did you mean 'negative_prompt'?"],
    ['object base_model (§6.3)', 0, variant(SD_OK, { base_model: { name: 'a/b' } }), 'base_model', 'must be a string'],
    ['URL base_model', 0, variant(SD_OK, { base_model: 'https://x.y/model' }), 'base_model', 'has an unexpected form'],
    ['cfg 0 (§6.3)', 0, variant(SD_OK, { 'task_config.cfg': 0 }), 'task_config.cfg', 'must be a whole number from 1 to 20'],
    ['cfg as a float', 0, variant(SD_OK, { 'task_config.cfg': 5.5 }), 'task_config.cfg', 'must be a whole number from 1 to 20'],
    ['version 2.1.0', 0, variant(SD_OK, { version: '2.1.0' }), 'version', "must be one of '2.0.0'"],
    ['dtype in SD args', 0, variant(SD_OK, { dtype: 'float16' }), 'dtype', "unknown field 'dtype'"],
    ['seed 2^31', 0, variant(SD_OK, { 'task_config.seed': 2 ** 31 }), 'task_config.seed', 'must be a whole number from 0 to 2147483647'],
    ['safety_checker missing (§8 trap 21)', 0, variant(SD_OK, { 'task_config.safety_checker': undefined }), 'task_config.safety_checker', 'is required'],
    ['prompt missing', 0, variant(SD_OK, { prompt: undefined }), 'prompt', 'is required'],
    ['negative_prompt null', 0, variant(SD_OK, { negative_prompt: null }), 'negative_prompt', 'must be a string'],
    ['task_config missing', 0, variant(SD_OK, { task_config: undefined }), 'task_config', 'is required'],
    ['lora weight 1 (§8 trap 22)', 0, variant(SD_OK, { lora: { model: 'a/b', weight: 1 } }), 'lora.weight', 'must be a whole number from 2 to 100'],
    ['lora without model', 0, variant(SD_OK, { lora: { weight: 50 } }), 'lora.model', 'is required'],
    ['controlnet without image', 0, variant(SD_OK, { controlnet: { model: 'a/b' } }), 'controlnet.image_dataurl', 'is required'],
    ['controlnet image not a data URL', 0, variant(SD_OK, { controlnet: { model: 'a/b', image_dataurl: 'http://x/y.png' } }), 'controlnet.image_dataurl', 'data URL'],
    ['mlsd thr_v 1', 0, variant(SD_OK, { controlnet: { model: 'a/b', image_dataurl: 'data:image/png;base64,AA', preprocess: { method: 'mlsd', args: { thr_v: 1, thr_d: 10 } } } }), 'controlnet.preprocess.args.thr_v', 'from 2 to 100'],
    ['softedge_hed (§8 trap 23)', 0, variant(SD_OK, { controlnet: { model: 'a/b', image_dataurl: 'data:image/png;base64,AA', preprocess: { method: 'softedge_hed' } } }), 'controlnet.preprocess.method', 'must be one of'],
    ['args for a method without args', 0, variant(SD_OK, { controlnet: { model: 'a/b', image_dataurl: 'data:image/png;base64,AA', preprocess: { method: 'openpose', args: {} } } }), 'controlnet.preprocess.args', 'must be null'],
    ['scheduler null', 0, variant(SD_OK, { scheduler: null }), 'scheduler', 'must be an object'],
    ['scheduler {}', 0, variant(SD_OK, { scheduler: {} }), 'scheduler.method', 'is required'],
    ['an LCM-only key on Euler', 0, variant(SD_OK, { scheduler: { method: 'EulerAncestralDiscreteScheduler', args: { timestep_scaling: 10 } } }), 'scheduler.args.timestep_scaling', "unknown field 'timestep_scaling'"],
    ['refiner cutoff 0.8', 0, variant(SD_OK, { refiner: { model: 'a/b', denoising_cutoff: 0.8 } }), 'refiner.denoising_cutoff', 'must be a whole number from 2 to 100'],
    ['image_width odd', 0, variant(SD_OK, { 'task_config.image_width': 513 }), 'task_config.image_width', 'multiple of 8'],
    ['GPT: empty messages', 1, { ...GPT_OK, messages: [] }, 'messages', 'must have at least 1 item'],
    ['GPT: role tool', 1, { ...GPT_OK, messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].role', "must be one of 'system', 'user', 'assistant'"],
    ['GPT: content null (2025 only)', 1, { ...GPT_OK, messages: [{ role: 'assistant', content: null }] }, 'messages[0].content', 'must be a string'],
    ['GPT: unknown generation key', 1, { ...GPT_OK, generation_config: { stop: ['\n'] } }, 'generation_config.stop', "unknown field 'stop'"],
    ['GPT: quantize_bits 3', 1, { ...GPT_OK, quantize_bits: 3 }, 'quantize_bits', 'must be one of 4, 8, null'],
    ['GPT: top_k fractional', 1, { ...GPT_OK, generation_config: { top_k: 1.5 } }, 'generation_config.top_k', 'must be a whole number of at least 0'],
    ['GPT: tools (2025 only)', 1, { ...GPT_OK, tools: [] }, 'tools', "unknown field 'tools'"],
    ['GPT: model missing', 1, { messages: GPT_OK.messages }, 'model', 'is required'],
    ['not JSON (§8 trap 19)', 0, '{"prompt": "x",}', '(root)', 'are not valid JSON ('],
    ['a JSON array', 0, '[1,2]', '(root)', 'must be a JSON object'],
    ['JSON null', 1, 'null', '(root)', 'must be a JSON object'],
    ['escaped lone surrogate', 0, JSON.stringify(SD_OK).replace('a cat', 'a \\ud83d cat'), 'prompt', 'broken character'],
    ['raw lone surrogate in the text', 1, JSON.stringify(GPT_OK).replace('hi', 'hi\ud83d'), '(root)', 'broken character'],
  ];
  for (const [name, type, args, path, message] of invalid) {
    it(`rejects ${name} at ${path}`, () => {
      const issues = issuesOf(type, args);
      const hit = issues.find((i) => i.path === path);
      assert.ok(hit, `no issue at ${path}: ${JSON.stringify(issues)}`);
      assert.ok(hit.message.includes(message), `"${hit.message}" should include "${message}"`);
    });
  }

  it('reports every problem at once', () => {
    const issues = issuesOf(0, variant(SD_OK, { prompt: '', 'task_config.num_images': 0, extra: 1 }));
    assert.deepEqual(issues.map((i) => i.path).sort(), ['extra', 'prompt', 'task_config.num_images']);
  });

  it('refuses an unknown task type without throwing', () => {
    assert.deepEqual(issuesOf(2 as 0, SD_OK), [{ path: 'taskType', message: 'must be 0 (Stable Diffusion) or 1 (GPT)' }]);
    assert.equal(validateTaskArgs(0, null as unknown as object).valid, false);
    assert.equal(validateTaskArgs(0, 42 as unknown as object).valid, false);
  });

  describe('allowUnknownKeys (the relay stand-in, SPEC §6.3)', () => {
    // The relay's own unit-test args (vector H01): no steps/seed/size written out.
    const relayExample = {
      base_model: 'runwayml/stable-diffusion-v1-5',
      prompt: 'best quality',
      negative_prompt: 'paintings',
      task_config: { num_images: 1, safety_checker: false },
    };
    it('lets unknown keys and unspelled defaults through', () => {
      assert.deepEqual(validateTaskArgs(0, { ...relayExample, future_field: 1 }, { allowUnknownKeys: true }), { valid: true });
      assert.deepEqual(validateTaskArgs(1, { ...GPT_OK, generation_config: { min_p: 0.1 } }, { allowUnknownKeys: true }), { valid: true });
    });
    it('leaves image sizes unconstrained as the 2024 relay did, while strict mode bounds them', () => {
      const odd = variant(relayExample, { 'task_config.image_width': 100, 'task_config.image_height': 4096 });
      assert.deepEqual(validateTaskArgs(0, odd, { allowUnknownKeys: true }), { valid: true });
      const paths = issuesOf(0, odd, { requireExplicitDefaults: false }).map((i) => i.path).sort();
      assert.deepEqual(paths, ['task_config.image_height', 'task_config.image_width']);
    });
    it('strict mode names the unspelled defaults and the unknown key', () => {
      const paths = issuesOf(0, { ...relayExample, future_field: 1 }).map((i) => i.path);
      for (const p of ['future_field', 'task_config.steps', 'task_config.seed', 'task_config.image_width']) assert.ok(paths.includes(p), p);
      assert.deepEqual(validateTaskArgs(0, relayExample, { requireExplicitDefaults: false }), { valid: true });
    });
    it('still checks types and ranges', () => {
      const issues = issuesOf(0, variant(relayExample, { 'task_config.num_images': 12, lora: { model: 'x', weight: 1 } }), { allowUnknownKeys: true });
      assert.deepEqual(issues.map((i) => i.path).sort(), ['lora.weight', 'task_config.num_images']);
    });
  });
});

describe('assertValidTaskArgs', () => {
  it('throws a TaskArgsError with a readable summary and the issues', () => {
    assert.throws(
      () => assertValidTaskArgs(0, variant(SD_OK, { 'task_config.num_images': 0 })),
      (err: unknown) =>
        err instanceof TaskArgsError &&
        err.message === 'Invalid Stable Diffusion task arguments: task_config.num_images must be a whole number from 1 to 10' &&
        err.issues.length === 1,
    );
    assert.throws(() => assertValidTaskArgs(1, '{}'), /Invalid GPT task arguments: model is required; messages is required/);
  });
  it('says "The task arguments are not valid JSON (… position N)" for text that is not JSON, without "(root)"', () => {
    assert.throws(() => assertValidTaskArgs(1, '{"model": "m",}'), (err: unknown) =>
      err instanceof TaskArgsError &&
      /^The GPT task arguments are not valid JSON \([^)]*position 14\b/.test(err.message) &&
      !err.message.includes('(root)'));
  });
  it('shows a hint shared by several missing fields once, not once per field', () => {
    const hint = 'write it out: the node defaults (1 step, 6 images, seed 0, safety checker on) are rarely wanted';
    const args = variant(SD_OK, { 'task_config.steps': undefined, 'task_config.seed': undefined, 'task_config.image_width': undefined });
    const issues = issuesOf(0, args);
    assert.equal(issues.length, 3);
    for (const i of issues) assert.ok(i.message.endsWith(`is required (${hint})`), 'each issue keeps its hint');
    assert.throws(() => assertValidTaskArgs(0, args), (err: unknown) => {
      assert.ok(err instanceof TaskArgsError);
      assert.equal(err.message.split(hint).length - 1, 1, err.message);
      assert.match(err.message, /^Invalid Stable Diffusion task arguments: task_config\.\w+ is required \(write it out: .*\); task_config\.\w+ is required; task_config\.\w+ is required$/);
      return true;
    });
  });
  it('no user-facing hint cites the spec', () => {
    const issues = issuesOf(0, variant(SD_OK, { version: '2.1.0' }));
    assert.equal(issues[0].message, 'must be one of \'2.0.0\' (leave it out or use "2.0.0", the version both the 2024 relay and its GPU nodes accept)');
    assert.doesNotMatch(JSON.stringify(issues), /SPEC|§/);
  });
  it('summarises long lists', () => {
    const many = { base_model: 1, prompt: 2, task_config: 3, a: 1, b: 2, c: 3 };
    assert.throws(() => assertValidTaskArgs(0, many), /and \d+ more$/);
  });
  it('returns quietly for valid args', () => {
    assert.doesNotThrow(() => assertValidTaskArgs(0, SD_OK));
  });
});
