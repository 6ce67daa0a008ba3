/**
 * `npm run bench:devnet`: how long the devnet takes to start, and how long one task takes
 * on it from createTask to downloaded results (SD and GPT). Prints numbers; never fails on
 * timing. Options: --runs N (default 3).
 */
import { startDevnet } from '../devnet';
import { RawApp } from './raw-app';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;

function stats(name: string, ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  return `${name.padEnd(34)} n=${ms.length}  mean ${mean.toFixed(0)} ms  min ${sorted[0].toFixed(0)} ms  max ${sorted[sorted.length - 1].toFixed(0)} ms`;
}

async function timeTask(app: RawApp, taskType: 0 | 1, args: string, cap: number): Promise<number> {
  const t0 = performance.now();
  const id = await app.createTask(taskType, args, { cap });
  const up = await app.uploadArgsWhenIndexed(id, args);
  if (up.status !== 200) throw new Error(`upload failed: ${up.text}`);
  const done = await app.firstTerminal(id, 120_000);
  if (done.name !== 'TaskSuccess') throw new Error(`task ${id} ended with ${JSON.stringify(done, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  await app.waitForEvent(id, (es) => es.find((e) => e.name === 'TaskResultUploaded'), 120_000);
  for (let i = 0; i < cap; i++) {
    const file = await app.download(id, i);
    if (file.status !== 200) throw new Error(`download ${i} failed: ${file.text}`);
  }
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const startup: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const net = await startDevnet();
    startup.push(performance.now() - t0);
    await net.stop();
  }
  console.log(stats('startDevnet()', startup));

  const net = await startDevnet();
  try {
    const app = new RawApp(net.rpcUrl, net.relayUrl, net.taskAddress, net.appPrivateKey, { indexedEventsOnly: true });
    const sd: number[] = [];
    const gpt: number[] = [];
    for (let i = 0; i < runs; i++) {
      const sdArgs = JSON.stringify({
        base_model: 'runwayml/stable-diffusion-v1-5', prompt: `bench ${i}`, negative_prompt: '',
        task_config: { image_width: 512, image_height: 512, num_images: 1, steps: 1, cfg: 5, seed: i, safety_checker: false },
      });
      sd.push(await timeTask(app, 0, sdArgs, 1));
      const gptArgs = JSON.stringify({ model: 'gpt2', messages: [{ role: 'user', content: `bench ${i}` }], seed: i });
      gpt.push(await timeTask(app, 1, gptArgs, 1));
    }
    console.log(stats('SD task, 1 image 512×512', sd));
    console.log(stats('GPT task', gpt));
  } finally {
    await net.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
