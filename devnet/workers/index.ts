/**
 * Simulated GPU workers for the devnet (SPEC §7): `startWorkers` joins each key as a node
 * and runs it until `stop()`. They share one event poller and the devnet's image hash.
 */
import { DEVNET_ACCOUNTS, DEVNET_ROLES } from '../chain/accounts';
import { TaskEventWatcher } from './watcher';
import { SimWorker } from './worker';

export interface StartWorkersOptions {
  rpcUrl: string;
  relayUrl: string;
  taskAddress: string;
  nodeAddress: string;
  /** One private key per worker; default the devnet's worker accounts 2, 3, 4. */
  keys?: string[];
  /** GPU model every worker registers; LLM tasks need 3 equal ones (SPEC §7.1). Default "NVIDIA GeForce RTX 4090". */
  gpuName?: string;
  /** GPU memory in GB; default 24 (enough for every vramLimit of SPEC §6.6). */
  gpuVram?: number;
  /** Chain and relay poll interval; default 200 ms. */
  pollIntervalMs?: number;
  log?: (line: string) => void;
}

export interface WorkersHandle {
  addresses: string[];
  stop(): Promise<void>;
}

export async function startWorkers(opts: StartWorkersOptions): Promise<WorkersHandle> {
  const keys = opts.keys ?? DEVNET_ROLES.workers.slice(0, 3).map((i) => DEVNET_ACCOUNTS[i].privateKey);
  if (keys.length === 0) throw new Error('startWorkers: keys must list at least one private key');
  const gpuVram = opts.gpuVram ?? 24;
  if (!Number.isInteger(gpuVram) || gpuVram < 1) throw new Error(`startWorkers: gpuVram must be a positive whole number of GB, got ${gpuVram}`);
  const pollIntervalMs = opts.pollIntervalMs ?? 200;
  const log = opts.log ?? (() => undefined);

  const watcher = new TaskEventWatcher(opts.rpcUrl, opts.taskAddress, pollIntervalMs, log);
  const workers = keys.map(
    (privateKey) =>
      new SimWorker({
        rpcUrl: opts.rpcUrl, relayUrl: opts.relayUrl, taskAddress: opts.taskAddress, nodeAddress: opts.nodeAddress,
        privateKey, gpuName: opts.gpuName ?? 'NVIDIA GeForce RTX 4090', gpuVram, pollIntervalMs, watcher, log,
      }),
  );
  // The watcher starts before the joins: a join may start a queued task in its own transaction.
  await watcher.start();
  try {
    for (const w of workers) await w.join();
  } catch (err) {
    await watcher.stop();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return {
    addresses: workers.map((w) => w.address),
    stop: () =>
      (stopping ??= (async () => {
        await Promise.all(workers.map((w) => w.stop()));
        await watcher.stop();
      })()),
  };
}

export { SimWorker, NODE_STAKE } from './worker';
export { markersOf, type Markers } from './markers';
export * from './results';
