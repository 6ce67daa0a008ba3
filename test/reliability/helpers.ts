/**
 * Shared pieces of the reliability tests (issue 6): a guard that fails a test on any
 * unhandled rejection or uncaught exception, condition waits, and direct reads of the
 * Task contract's events on the node itself (bypassing whatever proxy the client uses).
 */
import { rpcCall, startAnvil } from '../../devnet/chain/anvil';
import { DEVNET_ACCOUNTS, DEVNET_ROLES } from '../../devnet/chain/accounts';
import { deployDevnetContracts } from '../../devnet/chain/contracts';
import { startRelay } from '../../devnet/relay';
import { startWorkers } from '../../devnet/workers';
import { CrynuxClient as Client } from '../../lib/client';
import type { CrynuxClientOptions } from '../../lib/client-types';
import { decodeTaskLog, TASK_EVENT_TOPICS, type TaskEventName } from '../../lib/protocol';
import type { CrynuxClient } from '../../lib/client';
import type { ClientHealth } from '../../lib/client-types';

export { devnetClient, fakeTaskHash } from '../devnet/client-helpers';

/** Records unhandled rejections and uncaught exceptions until `stop()`, which returns them. */
export function guardProcess(): { stop(): string[] } {
  const seen: string[] = [];
  const onRejection = (reason: unknown) => seen.push(`unhandledRejection: ${(reason as Error)?.stack ?? String(reason)}`);
  const onException = (err: Error) => seen.push(`uncaughtException: ${err.stack ?? String(err)}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
      return seen;
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `check` until it returns a truthy value. The limit only turns a hang into a readable
 * failure; nothing is asserted about how long it took.
 */
export async function waitUntil<T>(what: string, check: () => T | Promise<T>, limitMs = 45_000, everyMs = 50): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await check();
    if (v) return v as Exclude<T, false | 0 | '' | null | undefined>;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** A promise's state without waiting for it. */
export function observe<T>(p: Promise<T>): { settled: () => boolean; value: () => T | undefined; error: () => unknown; promise: Promise<T> } {
  let settled = false;
  let value: T | undefined;
  let error: unknown;
  const promise = p.then(
    (v) => ((settled = true), (value = v), v),
    (e) => {
      settled = true;
      error = e;
      throw e;
    },
  );
  promise.catch(() => undefined);
  return { settled: () => settled, value: () => value, error: () => error, promise };
}

export async function blockNumber(rpcUrl: string): Promise<number> {
  return Number(await rpcCall<string>(rpcUrl, 'eth_blockNumber'));
}

/** Blocks holding `name` events of task `taskId`, read straight from the node. */
export async function eventBlocks(rpcUrl: string, taskAddress: string, name: TaskEventName, taskId: string): Promise<number[]> {
  const logs = await rpcCall<Array<{ address: string; topics: string[]; data: string; blockNumber: string; transactionHash: string }>>(rpcUrl, 'eth_getLogs', [
    { address: taskAddress, fromBlock: '0x0', toBlock: 'latest', topics: [TASK_EVENT_TOPICS[name]] },
  ]);
  return logs
    .filter((l) => decodeTaskLog({ ...l, blockNumber: Number(l.blockNumber) }, taskAddress)?.taskId.toString() === taskId)
    .map((l) => Number(l.blockNumber));
}

/** Every `health` event the client emits from now on. */
export function healthLog(client: CrynuxClient): ClientHealth[] {
  const seen: ClientHealth[] = [];
  client.on('health', (h: ClientHealth) => seen.push(h));
  return seen;
}

/** Transactions sent so far by `address` (its `latest` nonce). */
export async function txCount(rpcUrl: string, address: string, tag = 'latest'): Promise<number> {
  return Number(await rpcCall<string>(rpcUrl, 'eth_getTransactionCount', [address, tag]));
}

export interface ChainOnly {
  rpcUrl: string;
  chainId: number;
  taskAddress: string;
  taskQueueAddress: string;
  nodeAddress: string;
  /** Funded application keys (devnet accounts 7–9). */
  keys: string[];
  stop(): Promise<void>;
}

export interface ManualDevnet extends ChainOnly {
  relayUrl: string;
  /** Automine on/off: off keeps new transactions pending until it is turned on again. */
  setAutomine(on: boolean): Promise<void>;
}

/**
 * anvil with the devnet contracts and nothing else: automine only (no interval blocks, which
 * the full devnet's mixed mining cannot switch off), so `evm_setAutomine(false)` keeps
 * transactions pending for as long as a test wants.
 */
export async function startChainOnly(): Promise<ChainOnly> {
  const anvil = await startAnvil();
  try {
    const contracts = await deployDevnetContracts(anvil.rpcUrl, DEVNET_ACCOUNTS[DEVNET_ROLES.deployer].privateKey, { queueSizeLimit: 200 });
    return {
      rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, taskAddress: contracts.taskAddress, taskQueueAddress: contracts.taskQueueAddress,
      nodeAddress: contracts.nodeAddress, keys: DEVNET_ROLES.spareApplications.map((i) => DEVNET_ACCOUNTS[i].privateKey),
      stop: () => anvil.stop(),
    };
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}

/** A client of a chain-only devnet (the relay URL points nowhere: chain calls only). */
export function chainClient(chain: ChainOnly, extra: Partial<CrynuxClientOptions> = {}): Client {
  return new Client({
    rpcUrls: [chain.rpcUrl], chainId: chain.chainId, taskAddress: chain.taskAddress, taskQueueAddress: chain.taskQueueAddress,
    relayUrl: 'http://127.0.0.1:9', privateKey: chain.keys[0], pollIntervalMs: 100, ...extra,
  });
}

/**
 * The whole devnet (chain, relay, 3 workers) with automine only, so a test can hold a
 * transaction in the pool (startDevnet's mixed mining cannot turn automine off).
 */
export async function startManualDevnet(): Promise<ManualDevnet> {
  const chain = await startChainOnly();
  const stops: Array<() => Promise<void>> = [chain.stop];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    const relay = await startRelay({ rpcUrl: chain.rpcUrl, taskAddress: chain.taskAddress, nodeAddress: chain.nodeAddress, syncIntervalMs: 250 });
    stops.push(() => relay.stop());
    const workers = await startWorkers({ rpcUrl: chain.rpcUrl, relayUrl: relay.url, taskAddress: chain.taskAddress, nodeAddress: chain.nodeAddress });
    stops.push(() => workers.stop());
    return {
      ...chain, relayUrl: relay.url, stop,
      setAutomine: async (on) => void (await rpcCall(chain.rpcUrl, 'evm_setAutomine', [on])),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
