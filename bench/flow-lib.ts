/**
 * The whole flow through direct calls of the library, N tasks at once from one wallet:
 * build → createTask → uploadTaskArgs → waitForOutcome → waitForResultUploaded →
 * downloadResults, the same steps the nodes take. Item 4 (throughput), and the lib-level
 * figures of items 2, 3 and 6.
 */
import { CrynuxClient } from '../lib/client';
import type { Logger } from '../lib/client-types';
import { buildSdTaskArgs } from '../lib/task-args';
import type { DevnetProcess } from './devnet-child';
import { summariseFlow, wallMs, type FlowOptions, type FlowResult, type TaskTiming } from './flow-common';

const TIMEOUT_MS = 600_000;

export function benchPrompt(tag: string, i: number): string {
  return `bench ${tag} task ${i}: a lighthouse on a cliff at dusk, oil painting`;
}

export async function runLibFlow(host: DevnetProcess, o: FlowOptions): Promise<FlowResult> {
  const info = host.info;
  const urls = await host.startProxies();
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
  const client = new CrynuxClient({
    rpcUrls: [urls.rpcUrl], chainId: info.chainId, taskAddress: info.taskAddress, taskQueueAddress: info.taskQueueAddress,
    relayUrl: urls.relayUrl, privateKey: info.appPrivateKey, pollIntervalMs: o.pollMs, logger,
  });
  // One signal for every call, as the nodes pass theirs (without one, more than 10 waits at once
  // make Node print MaxListenersExceededWarning for the client's shared close signal).
  const run = new AbortController();
  const signal = run.signal;
  try {
    await client.start();
    await host.counts(true);

    const one = async (t: TaskTiming): Promise<void> => {
      try {
        const built = buildSdTaskArgs({ prompt: benchPrompt(o.tag, t.index), numImages: 1, width: 512, height: 512 });
        const created = await client.createTask({ ...built, taskFee: o.feeWei }, { signal });
        t.taskId = created.taskId;
        await client.uploadTaskArgs(created.taskId, built.taskArgs, { timeoutMs: 120_000, signal });
        const fromBlock = created.blockNumber;
        const outcome = await client.waitForOutcome(created.taskId, { fromBlock, timeoutMs: TIMEOUT_MS, signal });
        t.outcomeAt = wallMs();
        if (outcome.status !== 'success') throw new Error(`aborted: ${outcome.abortReason}`);
        // Item 3 baseline, started where the fetch step starts (in the host process).
        t.blind = host.blindDownload(created.taskId, built.cap, o.blindEveryMs);
        await client.waitForResultUploaded(created.taskId, { fromBlock, timeoutMs: TIMEOUT_MS, signal });
        const { files } = await client.downloadResults(created.taskId, built.taskType, { result: outcome.result, timeoutMs: 120_000, signal });
        t.fetchedAt = wallMs();
        t.files = files.length;
      } catch (err) {
        t.error = (err as Error).message;
      }
    };

    const cpu0 = process.cpuUsage();
    const t0 = wallMs();
    const timings: TaskTiming[] = Array.from({ length: o.tasks }, (_, index) => ({ index, start: wallMs() }));
    await Promise.all(timings.map(one));
    return await summariseFlow('lib', host, timings, { t0, cpu0, warnings });
  } finally {
    run.abort();
    await client.close();
  }
}
