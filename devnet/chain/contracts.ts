/**
 * The devnet's contracts: our own Node, TaskQueue and Task (devnet/contracts/*.sol, same
 * external interface as the 2024 deployment, SPEC §3.1–§3.3), compiled at build time by
 * scripts/build-steps/10-compile-contracts.js into `<dist>/devnet/artifacts/`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ContractFactory, Interface, JsonRpcProvider, Wallet, type InterfaceAbi } from 'ethers';

export type DevnetContractName = 'Node' | 'TaskQueue' | 'Task';

export interface ContractArtifact {
  contractName: string;
  abi: InterfaceAbi;
  /** Creation bytecode, 0x-prefixed. */
  bytecode: string;
}

export interface DeployOptions {
  /** Task deadline after start, seconds (contract default 900, SPEC §3.9). */
  taskTimeoutSeconds?: number;
  /** TaskQueue size limit (contract default 50, SPEC §3.5). */
  queueSizeLimit?: number;
}

export interface DevnetContracts {
  taskAddress: string;
  nodeAddress: string;
  taskQueueAddress: string;
}

/** `<dist>/devnet/artifacts`, next to this file's compiled folder (`<dist>/devnet/chain`). */
export const ARTIFACTS_DIR = path.resolve(__dirname, '..', 'artifacts');

const cache = new Map<string, ContractArtifact>();

export function loadArtifact(name: DevnetContractName | string): ContractArtifact {
  const hit = cache.get(name);
  if (hit) return hit;
  const file = path.join(ARTIFACTS_DIR, `${name}.json`);
  if (!fs.existsSync(file)) {
    throw new Error(`devnet artifact ${name}.json not found in ${ARTIFACTS_DIR}: run the build (npm run build) first`);
  }
  const artifact = JSON.parse(fs.readFileSync(file, 'utf8')) as ContractArtifact;
  cache.set(name, artifact);
  return artifact;
}

/** ethers Interface of one of our devnet contracts (full ABI, including owner functions). */
export function artifactInterface(name: DevnetContractName): Interface {
  return new Interface(loadArtifact(name).abi);
}

// Deployments are bigger than the 5 M limit the clients use for calls (SPEC §3.10).
const DEPLOY_GAS_LIMIT = 12_000_000n;
const CALL_GAS_LIMIT = 5_000_000n;

/**
 * Deploys Node, TaskQueue and Task and wires them (SPEC §3.1: all wiring before the first
 * join). Transactions are legacy (type 0), as the 2024 clients sent them (SPEC §1.3).
 */
export async function deployDevnetContracts(
  rpcUrl: string,
  deployerKey: string,
  opts: DeployOptions = {},
): Promise<DevnetContracts> {
  for (const [field, v] of [['taskTimeoutSeconds', opts.taskTimeoutSeconds], ['queueSizeLimit', opts.queueSizeLimit]] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) {
      throw new Error(`deployDevnetContracts: ${field} must be a non-negative integer, got ${String(v)}`);
    }
  }
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, batchStallTime: 0, pollingInterval: 50 });
  try {
    const wallet = new Wallet(deployerKey, provider);
    let nonce = await provider.getTransactionCount(wallet.address, 'pending');
    const gasPrice = (await provider.getFeeData()).gasPrice ?? 0n;
    const txOpts = (gasLimit: bigint) => ({ type: 0, gasPrice, gasLimit, nonce: nonce++ });

    async function deploy(name: DevnetContractName, ...args: unknown[]): Promise<string> {
      const a = loadArtifact(name);
      const factory = new ContractFactory(a.abi, a.bytecode, wallet);
      const tx = await factory.getDeployTransaction(...args);
      const sent = await wallet.sendTransaction({ ...tx, ...txOpts(DEPLOY_GAS_LIMIT) });
      const receipt = await sent.wait();
      if (!receipt || receipt.status !== 1 || !receipt.contractAddress) throw new Error(`deploying ${name} failed`);
      return receipt.contractAddress;
    }
    async function call(name: DevnetContractName, address: string, fn: string, args: unknown[]): Promise<void> {
      const data = artifactInterface(name).encodeFunctionData(fn, args);
      const sent = await wallet.sendTransaction({ to: address, data, ...txOpts(CALL_GAS_LIMIT) });
      const receipt = await sent.wait();
      if (!receipt || receipt.status !== 1) throw new Error(`${name}.${fn} failed during devnet deployment`);
    }

    const nodeAddress = await deploy('Node');
    const taskQueueAddress = await deploy('TaskQueue');
    const taskAddress = await deploy('Task', nodeAddress, taskQueueAddress);
    await call('Node', nodeAddress, 'updateTaskContractAddress', [taskAddress]);
    await call('TaskQueue', taskQueueAddress, 'updateTaskContractAddress', [taskAddress]);
    if (opts.taskTimeoutSeconds !== undefined) await call('Task', taskAddress, 'updateTimeout', [opts.taskTimeoutSeconds]);
    if (opts.queueSizeLimit !== undefined) await call('TaskQueue', taskQueueAddress, 'updateSizeLimit', [opts.queueSizeLimit]);
    return { taskAddress, nodeAddress, taskQueueAddress };
  } finally {
    provider.destroy();
  }
}
