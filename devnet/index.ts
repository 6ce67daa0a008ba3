/**
 * A whole local Crynux network in one call (SPEC §1.3, §7): anvil, the devnet contracts,
 * the stand-in relay and simulated GPU workers. Every part listens on 127.0.0.1 with a free
 * port and keeps its files in its own temp folder, so several devnets can run side by side.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEVNET_ACCOUNTS, DEVNET_ROLES } from './chain/accounts';
import { increaseTime, startAnvil, type AnvilHandle } from './chain/anvil';
import { deployDevnetContracts } from './chain/contracts';
import { startRelay, type RelayHandle } from './relay';
import { startWorkers, type WorkersHandle } from './workers';

export interface StartDevnetOptions {
  /** Default 10000, the 2024 rollapp's id (SPEC §1.3). */
  chainId?: number;
  /** Seconds between interval blocks, mined in addition to one block per transaction; default 1. */
  blockTime?: number;
  /** Simulated GPU workers, 0…5; default 3 (the minimum for a task to start). */
  workers?: number;
  /** Task deadline after start; default 900 s (SPEC §3.9). */
  taskTimeoutSeconds?: number;
  /** Extra delay before the relay sees chain events (SPEC §4.4); default 0. */
  relayLagMs?: number;
  /** TaskQueue size limit; default 50 (SPEC §3.5). */
  queueSizeLimit?: number;
  /** Ports on 127.0.0.1; default 0 = free ones. `npm run devnet` asks for 8545 and 8080. */
  rpcPort?: number;
  relayPort?: number;
  log?: (line: string) => void;
}

export interface Devnet {
  rpcUrl: string;
  chainId: number;
  taskAddress: string;
  nodeAddress: string;
  taskQueueAddress: string;
  relayUrl: string;
  /** The funded application wallet: a public test key, devnet only. */
  appPrivateKey: string;
  appAddress: string;
  /** More funded application keys (devnet only), for tests that need other creators. */
  spareKeys: string[];
  /** Owner of the contracts (can change the timeout and queue limit). */
  ownerPrivateKey: string;
  workerAddresses: string[];
  /** The relay's test hooks (syncNow, getTask, waitFor). */
  relay: RelayHandle;
  /** Moves chain time forward and mines a block (e.g. past a task deadline). */
  increaseTime(seconds: number): Promise<void>;
  /** Stops workers, relay and anvil and removes the temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startDevnet(options: StartDevnetOptions = {}): Promise<Devnet> {
  const workerCount = options.workers ?? 3;
  if (!Number.isInteger(workerCount) || workerCount < 0 || workerCount > DEVNET_ROLES.workers.length) {
    throw new Error(`startDevnet: workers must be a whole number from 0 to ${DEVNET_ROLES.workers.length}, got ${workerCount}`);
  }
  const log = options.log;
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };

  try {
    // Automine plus interval blocks: transactions confirm at once, and a waiting client still sees blocks advance.
    const anvil: AnvilHandle = await startAnvil({
      chainId: options.chainId ?? 10000,
      blockTime: options.blockTime ?? 1,
      mixedMining: true,
      port: options.rpcPort,
    });
    cleanups.push(() => anvil.stop());
    const owner = DEVNET_ACCOUNTS[DEVNET_ROLES.deployer];
    const contracts = await deployDevnetContracts(anvil.rpcUrl, owner.privateKey, {
      taskTimeoutSeconds: options.taskTimeoutSeconds,
      queueSizeLimit: options.queueSizeLimit,
    });
    log?.(`devnet: contracts deployed (Task ${contracts.taskAddress})`);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-devnet-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const relay = await startRelay({
      rpcUrl: anvil.rpcUrl,
      taskAddress: contracts.taskAddress,
      nodeAddress: contracts.nodeAddress,
      syncIntervalMs: 250,
      port: options.relayPort,
      lagMs: options.relayLagMs ?? 0,
      storage: { dir },
      log,
    });
    cleanups.push(() => relay.stop());

    let workers: WorkersHandle | undefined;
    if (workerCount > 0) {
      workers = await startWorkers({
        rpcUrl: anvil.rpcUrl,
        relayUrl: relay.url,
        taskAddress: contracts.taskAddress,
        nodeAddress: contracts.nodeAddress,
        keys: DEVNET_ROLES.workers.slice(0, workerCount).map((i) => DEVNET_ACCOUNTS[i].privateKey),
        log,
      });
      cleanups.push(() => workers!.stop());
    }

    const app = DEVNET_ACCOUNTS[DEVNET_ROLES.application];
    let stopping: Promise<void> | undefined;
    return {
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      ...contracts,
      relayUrl: relay.url,
      appPrivateKey: app.privateKey,
      appAddress: app.address,
      spareKeys: DEVNET_ROLES.spareApplications.map((i) => DEVNET_ACCOUNTS[i].privateKey),
      ownerPrivateKey: owner.privateKey,
      workerAddresses: workers?.addresses ?? [],
      relay,
      increaseTime: (seconds) => increaseTime(anvil.rpcUrl, seconds),
      stop: () => (stopping ??= cleanup()),
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export { startRelay, type StartRelayOptions, type RelayHandle } from './relay';
export { startWorkers, type StartWorkersOptions, type WorkersHandle } from './workers';
export { imageHash, hammingDistance, IMAGE_HASH_BYTES } from './image-hash';
export * from './chain';
