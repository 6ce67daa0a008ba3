/**
 * Shared set-up for the chain tests: one real anvil + our deployed contracts, wallets for
 * the devnet accounts, and small helpers that send legacy transactions (gas price 0, so
 * balances change by exactly the amounts the contracts move) and read revert reasons.
 */
import { Interface, JsonRpcProvider, Wallet, keccak256, solidityPacked, type TransactionReceipt } from 'ethers';
import { DEVNET_ACCOUNTS } from '../../devnet/chain/accounts';
import { startAnvil, snapshot, revertTo, type AnvilHandle } from '../../devnet/chain/anvil';
import { artifactInterface, deployDevnetContracts, type DevnetContracts } from '../../devnet/chain/contracts';
import { decodeRevertData, taskEventsFromReceipt, taskIdFromReceipt, type TaskEvent } from '../../lib/protocol';
import { nodeInterface, taskInterface, taskQueueInterface } from '../../lib/protocol/abi';

export const STAKE = 400n * 10n ** 18n;
export const GPU = { name: 'NVIDIA GeForce RTX 4090', vram: 24 };

export interface ChainFixture {
  anvil: AnvilHandle;
  contracts: DevnetContracts;
  provider: JsonRpcProvider;
  wallets: Wallet[];
  stop(): Promise<void>;
}

export async function startChainFixture(opts: { taskTimeoutSeconds?: number } = {}): Promise<ChainFixture> {
  const anvil = await startAnvil();
  try {
    const contracts = await deployDevnetContracts(anvil.rpcUrl, DEVNET_ACCOUNTS[0].privateKey, opts);
    // cacheTimeout -1: ethers otherwise reuses a nonce read for 250 ms.
    const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, batchStallTime: 0 });
    const wallets = DEVNET_ACCOUNTS.map((a) => new Wallet(a.privateKey, provider));
    return {
      anvil, contracts, provider, wallets,
      async stop() {
        provider.destroy();
        await anvil.stop();
      },
    };
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}

/** beforeEach/afterEach pair: every test starts from the same chain state. */
export function isolateEachTest(get: () => ChainFixture): void {
  let id: string | undefined;
  beforeEach(async () => {
    id = await snapshot(get().anvil.rpcUrl);
  });
  afterEach(async () => {
    if (id) await revertTo(get().anvil.rpcUrl, id);
  });
}

type Target = 'task' | 'node' | 'queue';

export class Chain {
  constructor(readonly f: ChainFixture) {}

  get task(): string {
    return this.f.contracts.taskAddress;
  }

  private target(t: Target): { to: string; iface: Interface } {
    const c = this.f.contracts;
    if (t === 'task') return { to: c.taskAddress, iface: taskInterface };
    if (t === 'node') return { to: c.nodeAddress, iface: nodeInterface };
    return { to: c.taskQueueAddress, iface: taskQueueInterface };
  }

  /** Sends a transaction the way the 2024 clients did: legacy, 5 M gas (SPEC §1.3). */
  async send(from: Wallet, t: Target, fn: string, args: unknown[], value = 0n): Promise<TransactionReceipt> {
    const { to, iface } = this.target(t);
    return this.sendData(from, to, iface.encodeFunctionData(fn, args), value);
  }

  /** Owner functions are not in our lib's ABI: use the artifact's. */
  async sendOwner(t: 'Task' | 'TaskQueue' | 'Node', fn: string, args: unknown[]): Promise<TransactionReceipt> {
    const c = this.f.contracts;
    const to = t === 'Task' ? c.taskAddress : t === 'Node' ? c.nodeAddress : c.taskQueueAddress;
    return this.sendData(this.f.wallets[0], to, artifactInterface(t).encodeFunctionData(fn, args), 0n);
  }

  private async sendData(from: Wallet, to: string, data: string, value: bigint): Promise<TransactionReceipt> {
    const tx = await from.sendTransaction({ to, data, value, type: 0, gasPrice: 0n, gasLimit: 5_000_000n });
    const receipt = await tx.wait();
    if (!receipt) throw new Error('no receipt');
    return receipt;
  }

  /** The revert reason a call would produce (eth_call), decoded by our lib. */
  async revertOf(from: Wallet, t: Target, fn: string, args: unknown[], value = 0n): Promise<{ data: string; reason: string; panicCode?: number }> {
    const { to, iface } = this.target(t);
    try {
      await this.f.provider.call({ from: from.address, to, data: iface.encodeFunctionData(fn, args), value, gasLimit: 5_000_000n });
    } catch (err) {
      const data = (err as { data?: string }).data ?? '0x';
      const decoded = decodeRevertData(data);
      return { data, reason: decoded.reason, panicCode: decoded.panicCode };
    }
    throw new Error(`${fn} did not revert`);
  }

  async call<T = unknown>(t: Target, fn: string, args: unknown[] = []): Promise<T> {
    const { to, iface } = this.target(t);
    const raw = await this.f.provider.call({ to, data: iface.encodeFunctionData(fn, args) });
    const out = iface.decodeFunctionResult(fn, raw);
    return (out.length === 1 ? out[0] : out) as T;
  }

  events(receipt: TransactionReceipt): TaskEvent[] {
    return taskEventsFromReceipt(receipt, this.task);
  }

  async join(wallets: Wallet[], gpu = GPU): Promise<TransactionReceipt[]> {
    const out: TransactionReceipt[] = [];
    for (const w of wallets) out.push(await this.send(w, 'node', 'join', [gpu.name, gpu.vram], STAKE));
    return out;
  }

  async createTask(
    from: Wallet,
    o: { taskType?: number; vramLimit?: number; cap?: number; fee?: bigint; taskHash?: string } = {},
  ): Promise<{ receipt: TransactionReceipt; taskId: bigint }> {
    const args = [o.taskType ?? 0, o.taskHash ?? keccak256(Buffer.from(`task ${++taskCounter}`)), `0x${'00'.repeat(32)}`, o.vramLimit ?? 8, o.cap ?? 1];
    const receipt = await this.send(from, 'task', 'createTask', args, o.fee ?? 10n ** 18n);
    return { receipt, taskId: taskIdFromReceipt(receipt, this.task) };
  }

  /** round → wallet of the node selected for it, from TaskStarted events. */
  roundsOf(receipt: TransactionReceipt, taskId: bigint): Wallet[] {
    const byRound: Wallet[] = [];
    for (const e of this.events(receipt)) {
      if (e.name !== 'TaskStarted' || e.taskId !== taskId) continue;
      const w = this.f.wallets.find((x) => x.address === e.selectedNode);
      if (!w) throw new Error(`unknown node ${e.selectedNode}`);
      byRound[Number(e.round)] = w;
    }
    if (byRound.length !== 3) throw new Error(`task ${taskId} did not start in this receipt`);
    return byRound;
  }

  async commit(node: Wallet, taskId: bigint, round: number, result: string, nonce = randomNonce()): Promise<TransactionReceipt> {
    return this.send(node, 'task', 'submitTaskResultCommitment', [taskId, round, commitmentOf(result, nonce), nonce]);
  }

  async balance(addr: string): Promise<bigint> {
    return this.f.provider.getBalance(addr);
  }
}

/** SPEC §7.3: commitment = keccak256(abi.encodePacked(bytes result, bytes32 nonce)). */
export function commitmentOf(result: string, nonce: string): string {
  return keccak256(solidityPacked(['bytes', 'bytes32'], [result, nonce]));
}

// Deterministic "random" values: node selection is seeded by the task hash.
let taskCounter = 0;
let nonceCounter = 0;
export function randomNonce(): string {
  return keccak256(Buffer.from(`nonce ${++nonceCounter}`));
}

export function names(events: TaskEvent[]): string[] {
  return events.map((e) => e.name);
}
