/**
 * Item 5, CPU half: client CPU per task for the purely local steps, measured with
 * process.cpuUsage over many iterations (after a warm-up, so ajv's schema compilation is
 * not counted; the first, cold build is reported on its own).
 */
import { Wallet } from 'ethers';
import { buildGptTaskArgs, buildSdTaskArgs, validateTaskArgs } from '../lib/task-args';
import { signRelayFields, taskHash, taskInterface, ZERO_DATA_HASH } from '../lib/protocol';
import { summarise, type Summary } from './stats';

export interface CpuOptions {
  iterations: number;
  reps: number;
}

export interface CpuResult {
  iterations: number;
  reps: number;
  /** ms of CPU per call, per step. */
  steps: Record<string, Summary>;
  /** What one single-file task needs: build (validate + hash included), the createTask transaction signature and the relay signatures of the upload and the download. */
  perTask: Summary;
  /** The very first SD build in this process (schema compilation included), ms. */
  coldBuildMs: number;
}

/** A well-known anvil test key; only signs, never sends. */
const KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const TASK = '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0';

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function sdOptions(i: number) {
  return { prompt: `a lighthouse on a cliff at dusk, oil painting, variation ${i}`, negativePrompt: 'blurry', numImages: 1, width: 512, height: 512, seed: i };
}

export async function benchCpu(o: CpuOptions): Promise<CpuResult> {
  const c0 = cpuMs();
  buildSdTaskArgs(sdOptions(0));
  const coldBuildMs = cpuMs() - c0;

  const wallet = new Wallet(KEY);
  const sample = buildSdTaskArgs(sdOptions(1));
  const steps: Record<string, () => unknown | Promise<unknown>> = {
    'build SD args (validate + hash included)': (() => {
      let i = 0;
      return () => buildSdTaskArgs(sdOptions(i++));
    })(),
    'build GPT args (validate + hash included)': (() => {
      let i = 0;
      return () => buildGptTaskArgs({ model: 'Qwen/Qwen2.5-7B-Instruct', prompt: `hello ${i}`, seed: i++ });
    })(),
    'validate SD args (strict schema)': () => validateTaskArgs(0, sample.taskArgs),
    'hash args (keccak256)': () => taskHash(sample.taskArgs),
    'sign relay upload (A)': (() => {
      let i = 1;
      return () => signRelayFields(KEY, { task_args: sample.taskArgs, task_id: BigInt(i++) }, 1_700_000_000);
    })(),
    'sign relay download (D)': (() => {
      let i = 1;
      return () => signRelayFields(KEY, { image_num: '0', task_id: BigInt(i++) }, 1_700_000_000);
    })(),
    'sign createTask transaction': (() => {
      let nonce = 0;
      return () =>
        wallet.signTransaction({
          type: 0, chainId: 10000, nonce: nonce++, gasPrice: 1n, gasLimit: 5_000_000n, to: TASK, value: 10n ** 16n,
          data: taskInterface.encodeFunctionData('createTask', [0, sample.taskHash, ZERO_DATA_HASH, sample.vramLimit, sample.cap]),
        });
    })(),
  };
  const perStep: Record<string, number[]> = {};
  for (const [name, fn] of Object.entries(steps)) {
    for (let i = 0; i < 20; i++) await fn(); // warm-up
    perStep[name] = [];
    for (let r = 0; r < o.reps; r++) {
      const t = cpuMs();
      for (let i = 0; i < o.iterations; i++) await fn();
      perStep[name].push((cpuMs() - t) / o.iterations);
    }
  }
  const perTask: number[] = [];
  for (let r = 0; r < o.reps; r++) {
    perTask.push(
      perStep['build SD args (validate + hash included)'][r] + perStep['sign createTask transaction'][r] +
        perStep['sign relay upload (A)'][r] + perStep['sign relay download (D)'][r],
    );
  }
  return {
    iterations: o.iterations,
    reps: o.reps,
    steps: Object.fromEntries(Object.entries(perStep).map(([k, v]) => [k, summarise(v)])),
    perTask: summarise(perTask),
    coldBuildMs,
  };
}
