/**
 * GPT task arguments (taskType 1), gpt-task cd1274b (SPEC §6.4). cap is always 1 (§3.4).
 */
import { TaskArgsError } from '../errors';
import { checkOptionKeys, checkVramLimit, finishBuild, randomSeed, type BuiltTask } from './common';
import { GPT_DEFAULT_VRAM_LIMIT } from './presets';

export interface GptMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GptTaskOptions {
  /** Hugging Face repo id, e.g. `Qwen/Qwen2.5-7B-Instruct`. */
  model: string;
  /** The conversation; or give `prompt` (and optionally `systemPrompt`). */
  messages?: GptMessage[];
  prompt?: string;
  systemPrompt?: string;
  /** Default 256 (the node's runtime base). */
  maxNewTokens?: number;
  /** Set automatically when temperature/topP/topK/typicalP is given without it. */
  doSample?: boolean;
  numBeams?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  typicalP?: number;
  repetitionPenalty?: number;
  /** Default 1; each sequence is one entry of `choices`. */
  numReturnSequences?: number;
  /** 0…2^31−1; random when left out (the value used is in the args). */
  seed?: number;
  dtype?: 'float16' | 'bfloat16' | 'float32' | 'auto';
  quantizeBits?: 4 | 8 | null;
  /** Override of the 8 GB default (SPEC §6.6). */
  vramLimit?: number;
}

const GPT_OPTION_KEYS = [
  'model', 'messages', 'prompt', 'systemPrompt', 'maxNewTokens', 'doSample', 'numBeams', 'temperature', 'topP',
  'topK', 'typicalP', 'repetitionPenalty', 'numReturnSequences', 'seed', 'dtype', 'quantizeBits', 'vramLimit',
] as const;

const GPT_RENAMES: Record<string, string> = { generation_config: '' };

function defined(entries: [string, unknown][]): Record<string, unknown> {
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}

function conversation(o: Partial<GptTaskOptions>): unknown[] {
  if (o.messages !== undefined && (o.prompt !== undefined || o.systemPrompt !== undefined)) {
    const issue = { path: 'messages', message: 'cannot be combined with prompt/systemPrompt; give one or the other' };
    throw new TaskArgsError(`messages ${issue.message}`, [issue]);
  }
  if (o.messages !== undefined) {
    if (!Array.isArray(o.messages)) {
      const issue = { path: 'messages', message: 'must be a list of {role, content} objects' };
      throw new TaskArgsError(`messages ${issue.message}`, [issue]);
    }
    // role and content first; other keys are kept so the validator can name them as typos.
    return o.messages.map((m: unknown) => {
      if (!m || typeof m !== 'object') return m;
      const { role, content, ...rest } = m as Record<string, unknown>;
      return { role, content, ...rest };
    });
  }
  if (o.prompt === undefined) {
    const issue = { path: 'prompt', message: 'is required (or give messages)' };
    throw new TaskArgsError(`prompt ${issue.message}`, [issue]);
  }
  const out: unknown[] = [];
  if (o.systemPrompt !== undefined && o.systemPrompt !== '') out.push({ role: 'system', content: o.systemPrompt });
  out.push({ role: 'user', content: o.prompt });
  return out;
}

/** Builds, validates and hashes a GPT task. Throws TaskArgsError naming the bad option. */
export function buildGptTaskArgs(options: GptTaskOptions): BuiltTask {
  const o = checkOptionKeys('GPT', options, GPT_OPTION_KEYS) as Partial<GptTaskOptions>;
  if (o.model === undefined) {
    const issue = { path: 'model', message: 'is required (a Hugging Face repo id such as Qwen/Qwen2.5-7B-Instruct)' };
    throw new TaskArgsError(`model ${issue.message}`, [issue]);
  }
  const messages = conversation(o);
  const sampling = [o.temperature, o.topP, o.topK, o.typicalP].some((v) => v !== undefined);
  const args = defined([
    ['model', o.model],
    ['messages', messages],
    [
      'generation_config',
      defined([
        ['max_new_tokens', o.maxNewTokens ?? 256],
        // transformers ignores temperature/top_p/top_k unless sampling is on
        ['do_sample', o.doSample ?? (sampling ? true : undefined)],
        ['num_beams', o.numBeams],
        ['temperature', o.temperature],
        ['typical_p', o.typicalP],
        ['top_k', o.topK],
        ['top_p', o.topP],
        ['repetition_penalty', o.repetitionPenalty],
        ['num_return_sequences', o.numReturnSequences ?? 1],
      ]),
    ],
    ['seed', o.seed ?? randomSeed()],
    ['dtype', o.dtype],
    ['quantize_bits', o.quantizeBits ?? undefined],
  ]);
  const vramLimit = checkVramLimit(o.vramLimit, GPT_DEFAULT_VRAM_LIMIT);
  return finishBuild('GPT', 1, args, vramLimit, () => 1, GPT_RENAMES);
}
