/**
 * Stable Diffusion task arguments (taskType 0), written in the SPEC §6.3 safe profile:
 * string `base_model`, integer `cfg` 1…20, every task_config value explicit (§8 trap 21),
 * `version` "2.0.0" (so 2.0.0/2.1.0 nodes honour `scheduler` and `unet`), no `dtype`.
 */
import { TaskArgsError } from '../errors';
import { checkOptionKeys, checkVramLimit, finishBuild, randomSeed, type BuiltTask } from './common';
import { DEFAULT_SD_PRESET, findSdPreset, sdVramLimit, type SdSchedulerChoice } from './presets';

export interface SdLoraOptions {
  /** Hugging Face repo id or safetensors URL. */
  model: string;
  weightFileName?: string;
  /** Percent, 2…100 (1 would mean 100 %, SPEC §6.2). */
  weight?: number;
}

export interface SdControlnetOptions {
  model: string;
  /** `data:image/png;base64,…`; or give `image` and it is encoded for you. */
  imageDataUrl?: string;
  /** PNG bytes of the control image. */
  image?: Uint8Array;
  /** Percent, 2…100. */
  weight?: number;
  /** One of the 24 preprocess methods; `args` keys as in SPEC §6.2 (e.g. low_threshold). */
  preprocess?: { method: string; args?: Record<string, unknown> | null } | null;
}

export interface SdRefinerOptions {
  model: string;
  variant?: string;
  /** Percent, 2…100. */
  denoisingCutoff?: number;
  steps?: number;
}

export interface SdTaskOptions {
  /** A preset name (`sd15`, `sdxl`, `sdxl-turbo`) or a Hugging Face repo id. Default `sd15`. */
  model?: string;
  /** Alias of `model`. */
  baseModel?: string;
  prompt: string;
  negativePrompt?: string;
  /** 1…10; also the createTask `cap`. Default 1. */
  numImages?: number;
  /** 1…100; default from the preset. */
  steps?: number;
  /** Whole number 1…20; default from the preset. */
  cfg?: number;
  /** 0…2^31−1; random when left out (the value used is in the args). */
  seed?: number;
  /** Pixels, multiple of 8; default from the preset. */
  width?: number;
  height?: number;
  /** Default false: a flagged image comes back black and is still paid for. */
  safetyChecker?: boolean;
  scheduler?: SdSchedulerChoice | null;
  lora?: SdLoraOptions | null;
  controlnet?: SdControlnetOptions | null;
  refiner?: SdRefinerOptions | null;
  vae?: string;
  textualInversion?: string;
  /** An alternative UNet repo id (e.g. an LCM UNet). */
  unet?: string;
  /** Override of the GB rule of SPEC §6.6. */
  vramLimit?: number;
}

const SD_OPTION_KEYS = [
  'model', 'baseModel', 'prompt', 'negativePrompt', 'numImages', 'steps', 'cfg', 'seed', 'width', 'height',
  'safetyChecker', 'scheduler', 'lora', 'controlnet', 'refiner', 'vae', 'textualInversion', 'unet', 'vramLimit',
] as const;

/** Schema segment → option name for error messages ('' drops the segment). */
const SD_RENAMES: Record<string, string> = {
  base_model: 'model',
  task_config: '',
  image_width: 'width',
  image_height: 'height',
  image_dataurl: 'imageDataUrl',
};

const DEFAULTS_FOR_UNKNOWN_MODEL = { steps: 30, cfg: 7, width: 512, height: 512 };

/** Copies the keys whose value is not undefined, in the given order. */
function defined(entries: [string, unknown][]): Record<string, unknown> {
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}

function controlnetArgs(c: SdControlnetOptions): Record<string, unknown> {
  let dataUrl = c.imageDataUrl;
  if (dataUrl === undefined && c.image instanceof Uint8Array) {
    dataUrl = `data:image/png;base64,${Buffer.from(c.image).toString('base64')}`;
  }
  return defined([
    ['model', c.model],
    ['image_dataurl', dataUrl],
    ['weight', c.weight],
    ['preprocess', c.preprocess === undefined ? undefined : c.preprocess && { method: c.preprocess.method, args: c.preprocess.args ?? null }],
  ]);
}

/** Builds, validates and hashes an SD task. Throws TaskArgsError naming the bad option. */
export function buildSdTaskArgs(options: SdTaskOptions): BuiltTask {
  const o = checkOptionKeys('SD', options, SD_OPTION_KEYS) as Partial<SdTaskOptions>;
  if (o.model !== undefined && o.baseModel !== undefined && o.model !== o.baseModel) {
    const issue = { path: 'model', message: 'and baseModel disagree; give only one of them' };
    throw new TaskArgsError(`model ${issue.message}`, [issue]);
  }
  const requested = o.model ?? o.baseModel ?? DEFAULT_SD_PRESET;
  const found = typeof requested === 'string' ? findSdPreset(requested) : undefined;
  const preset = found?.preset;
  const baseModel = found ? found.baseModel : requested;
  const d = preset ?? DEFAULTS_FOR_UNKNOWN_MODEL;

  const scheduler = o.scheduler === undefined ? preset?.scheduler : o.scheduler ?? undefined;
  const lora = o.lora ?? undefined;
  const controlnet = o.controlnet ?? undefined;
  const refiner = o.refiner ?? undefined;
  // Nested options are camelCase too; a snake_case key would otherwise vanish silently.
  if (o.scheduler) checkOptionKeys('SD', o.scheduler, ['method', 'args'], 'scheduler.');
  if (lora) checkOptionKeys('SD', lora, ['model', 'weightFileName', 'weight'], 'lora.');
  if (controlnet) checkOptionKeys('SD', controlnet, ['model', 'imageDataUrl', 'image', 'weight', 'preprocess'], 'controlnet.');
  if (controlnet?.preprocess) checkOptionKeys('SD', controlnet.preprocess, ['method', 'args'], 'controlnet.preprocess.');
  if (refiner) checkOptionKeys('SD', refiner, ['model', 'variant', 'denoisingCutoff', 'steps'], 'refiner.');

  // Key order is fixed here and frozen by serialisation (SPEC §6.1).
  const args = defined([
    ['version', '2.0.0'],
    ['base_model', baseModel],
    ['unet', o.unet],
    ['prompt', o.prompt],
    ['negative_prompt', o.negativePrompt ?? ''],
    ['scheduler', scheduler && { method: scheduler.method, args: scheduler.args ?? null }],
    [
      'task_config',
      {
        num_images: o.numImages ?? 1,
        steps: o.steps ?? d.steps,
        cfg: o.cfg ?? d.cfg,
        seed: o.seed ?? randomSeed(),
        image_width: o.width ?? d.width,
        image_height: o.height ?? d.height,
        safety_checker: o.safetyChecker ?? false,
      },
    ],
    ['lora', lora && defined([['model', lora.model], ['weight_file_name', lora.weightFileName], ['weight', lora.weight]])],
    ['controlnet', controlnet && controlnetArgs(controlnet)],
    [
      'refiner',
      refiner &&
        defined([
          ['model', refiner.model],
          ['variant', refiner.variant],
          ['denoising_cutoff', refiner.denoisingCutoff],
          ['steps', refiner.steps],
        ]),
    ],
    ['vae', o.vae],
    ['textual_inversion', o.textualInversion],
  ]);

  const vramFallback = typeof baseModel === 'string' ? (preset?.vramLimit ?? sdVramLimit(baseModel)) : 10;
  const vramLimit = checkVramLimit(o.vramLimit, refiner ? Math.max(vramFallback, 14) : vramFallback);
  return finishBuild('SD', 0, args, vramLimit, (p) => (p.task_config as { num_images: number }).num_images, SD_RENAMES);
}
