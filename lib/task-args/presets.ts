/**
 * Model presets and the vramLimit / cap rules (SPEC §6.2 recipes, §6.6).
 */

export interface SdSchedulerChoice {
  method: 'DPMSolverMultistepScheduler' | 'EulerAncestralDiscreteScheduler' | 'LCMScheduler';
  args?: Record<string, unknown> | null;
}

export interface SdPreset {
  /** Hugging Face repo id written as `base_model` when the preset is chosen by name. */
  baseModel: string;
  /** Mirrors of the same weights; choosing one keeps that id and the preset's recipe. */
  aliases: readonly string[];
  steps: number;
  cfg: number;
  width: number;
  height: number;
  /** Written only when set; the node's default is DPMSolverMultistepScheduler. */
  scheduler?: SdSchedulerChoice;
  vramLimit: number;
  description: string;
}

/** Named SD presets. `model` may be one of these names or any Hugging Face repo id. */
export const SD_PRESETS = {
  sd15: {
    baseModel: 'runwayml/stable-diffusion-v1-5',
    aliases: ['crynux-ai/stable-diffusion-v1-5'],
    steps: 30, // §6.2: SD 1.5 = steps 25–40, cfg 5–7
    cfg: 7,
    width: 512,
    height: 512,
    vramLimit: 8,
    description: 'Stable Diffusion 1.5, 512×512',
  },
  sdxl: {
    baseModel: 'stabilityai/stable-diffusion-xl-base-1.0',
    aliases: ['crynux-ai/stable-diffusion-xl-base-1.0'],
    steps: 30,
    cfg: 7,
    width: 1024,
    height: 1024,
    vramLimit: 14,
    description: 'Stable Diffusion XL base 1.0, 1024×1024',
  },
  'sdxl-turbo': {
    baseModel: 'stabilityai/sdxl-turbo',
    aliases: ['crynux-ai/sdxl-turbo'],
    // §6.2: Euler-Ancestral + trailing spacing, 1–4 steps, cfg 0 — but 1 is the lowest the mid-2024 relay took.
    steps: 1,
    cfg: 1,
    width: 512,
    height: 512,
    scheduler: { method: 'EulerAncestralDiscreteScheduler', args: { timestep_spacing: 'trailing' } },
    vramLimit: 14,
    description: 'SDXL-Turbo, 1 step, 512×512',
  },
} as const satisfies Record<string, SdPreset>;

export type SdPresetName = keyof typeof SD_PRESETS;

export const DEFAULT_SD_PRESET: SdPresetName = 'sd15';

/** vramLimit of a GPT task in 2024 (SPEC §6.6). */
export const GPT_DEFAULT_VRAM_LIMIT = 8;
/** vramLimit of an SD base model we do not recognise (SPEC §6.6). */
export const UNKNOWN_SD_VRAM_LIMIT = 10;

/** Known SD base models → vramLimit in GB (SPEC §6.6). */
export const SD_VRAM_BY_MODEL: Readonly<Record<string, number>> = {
  'runwayml/stable-diffusion-v1-5': 8,
  'crynux-ai/stable-diffusion-v1-5': 8,
  'stabilityai/stable-diffusion-xl-base-1.0': 14,
  'crynux-ai/stable-diffusion-xl-base-1.0': 14,
  'stabilityai/sdxl-turbo': 14,
  'crynux-ai/sdxl-turbo': 14,
  'stabilityai/stable-diffusion-2-1': 14,
  'stabilityai/stable-diffusion-2-1-base': 14,
  'stabilityai/stable-diffusion-2': 14,
  'stabilityai/stable-diffusion-2-base': 14,
};

/**
 * Looks a preset up by name or by repo id (its own or a mirror), case-insensitively, and says
 * which `base_model` to write: the preset's id for a name, the caller's id otherwise.
 */
export function findSdPreset(model: string): { name: SdPresetName; preset: SdPreset; baseModel: string } | undefined {
  const m = model.trim().toLowerCase();
  for (const [name, preset] of Object.entries(SD_PRESETS) as [SdPresetName, SdPreset][]) {
    if (name === m) return { name, preset, baseModel: preset.baseModel };
    if ([preset.baseModel, ...preset.aliases].some((id) => id.toLowerCase() === m)) {
      return { name, preset, baseModel: model.trim() };
    }
  }
  return undefined;
}

/**
 * vramLimit (GB) for an SD base model: the table above, then the family by name (SDXL and
 * SD 2.x → 14, SD 1.x → 8), else 10. A refiner (an SDXL pipeline) needs at least 14.
 */
export function sdVramLimit(baseModel: string, hasRefiner = false): number {
  const m = baseModel.trim().toLowerCase();
  let gb = Object.entries(SD_VRAM_BY_MODEL).find(([k]) => k.toLowerCase() === m)?.[1];
  if (gb === undefined) {
    if (/sdxl|stable-diffusion-xl|(^|[-_/])xl([-_/]|$)|stable-diffusion-2/.test(m)) gb = 14;
    else if (/stable-diffusion-v1-[1-5]\b|(^|[-_/])sd-?1\.?5([-_/]|$)/.test(m)) gb = 8;
    else gb = UNKNOWN_SD_VRAM_LIMIT;
  }
  return hasRefiner ? Math.max(gb, 14) : gb;
}
