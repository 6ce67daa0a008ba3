/**
 * The application side of the Task contract (SPEC §2, §3.4–§3.9): createTask, cancelTask,
 * getTask and the derived task state. Transactions go through the wallet's queue.
 */
import { getAddress } from 'ethers';
import { TaskArgsError } from '../errors';
import {
  decodeTaskLog, taskIdFromReceipt, taskInterface, taskQueueInterface, ZERO_DATA_HASH, TASK_EVENT_TOPICS,
} from '../protocol';
import type { CreateTaskOptions, CreateTaskRequest, CreatedTask } from '../client-types';
import type { RpcTransport } from './rpc';
import type { MinedReceipt, SignedTx, TransactionQueue } from './tx-queue';

/** getTask's tuple (SPEC §3.2), for a running task. */
export interface ChainTaskInfo {
  id: bigint;
  taskType: number;
  creator: string;
  taskHash: string;
  vramLimit: number;
  isSuccess: boolean;
  selectedNodes: string[];
  results: string[];
  resultNode: string;
  aborted: boolean;
  /** Absolute unix time (chain clock) after which cancelTask is allowed. */
  timeout: number;
  balance: bigint;
  totalBalance: bigint;
}

/** SPEC §3.7: no enum exists; 'finished' also covers ids the contract never knew. */
export type ChainTaskState = 'running' | 'queued' | 'finished';

export interface CancelledTask {
  txHash: string;
  blockNumber: number;
}

function fieldError(path: string, message: string): TaskArgsError {
  return new TaskArgsError(`${path} ${message}`, [{ path, message }]);
}

/** Task ids are uint256: accepted as bigint, decimal string or safe integer. */
export function parseTaskId(value: unknown, path = 'taskId'): bigint {
  let id: bigint | undefined;
  if (typeof value === 'bigint') id = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) id = BigInt(value);
  else if (typeof value === 'string' && /^\d{1,78}$/.test(value.trim())) id = BigInt(value.trim());
  if (id === undefined || id <= 0n || id >= 2n ** 256n) {
    throw fieldError(path, `must be a positive whole number (decimal string), got ${JSON.stringify(String(value))}`);
  }
  return id;
}

function wholeNumber(value: unknown, path: string, min: number): bigint {
  if (typeof value === 'bigint' && value >= BigInt(min)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return BigInt(value);
  throw fieldError(path, `must be a whole number ≥ ${min}, got ${JSON.stringify(String(value))}`);
}

function feeOf(value: unknown): bigint {
  if (typeof value === 'bigint' && value >= 0n) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  throw fieldError('taskFee', `must be a non-negative amount in wei (bigint or decimal string), got ${JSON.stringify(String(value))}`);
}

export class TaskContract {
  constructor(
    private readonly rpc: RpcTransport,
    private readonly queue: TransactionQueue,
    readonly taskAddress: string,
    readonly taskQueueAddress?: string,
  ) {}

  /** Builds the createTask call (SPEC §3.4) after checking the request. */
  encodeCreateTask(req: CreateTaskRequest): { data: string; value: bigint } {
    if (!req || typeof req !== 'object') throw fieldError('request', 'must be an object');
    // taskType is not limited to 0/1 here: the contract's own "Invalid task type" is clearer.
    const taskType = wholeNumber(req.taskType, 'taskType', 0);
    if (typeof req.taskHash !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(req.taskHash)) {
      throw fieldError('taskHash', 'must be 0x followed by 64 hex characters (keccak256 of the task arguments)');
    }
    const vramLimit = wholeNumber(req.vramLimit, 'vramLimit', 0);
    // SPEC §3.5: cap 0 divides by zero on the queued path; clients MUST reject it.
    const cap = wholeNumber(req.cap, 'cap', 1);
    const value = feeOf(req.taskFee);
    const data = taskInterface.encodeFunctionData('createTask', [taskType, req.taskHash, ZERO_DATA_HASH, vramLimit, cap]);
    return { data, value };
  }

  async createTask(req: CreateTaskRequest, opts: CreateTaskOptions & {
    beforeBroadcast?: (txHash: string, signed: SignedTx) => void | Promise<void>;
    /** With existingTxHash: its nonce and raw bytes, to resume an unanswered broadcast (see TransactionQueue.resume). */
    existingTx?: Partial<SignedTx>;
    /** Called when the existing transaction can never be mined (its nonce went to another): a new one is sent. */
    onReplaced?: (oldTxHash: string) => void | Promise<void>;
  } = {}): Promise<CreatedTask> {
    let receipt: MinedReceipt | null = null;
    let fee: bigint;
    if (opts.existingTxHash) {
      receipt = opts.existingTx
        ? await this.queue.resume(opts.existingTxHash, opts.existingTx, 'createTask', opts.signal)
        : await this.queue.follow(opts.existingTxHash, 'createTask', opts.signal);
      if (!receipt) await opts.onReplaced?.(opts.existingTxHash);
    }
    if (receipt) {
      fee = BigInt((await this.rpc.request<{ value: string }>('eth_getTransactionByHash', [receipt.transactionHash])).value);
    } else {
      const { data, value } = this.encodeCreateTask(req);
      fee = value;
      receipt = await this.queue.send(
        { to: this.taskAddress, data, value, label: 'createTask' },
        { signal: opts.signal, onSent: opts.onSent, beforeBroadcast: opts.beforeBroadcast },
      );
    }
    const taskId = taskIdFromReceipt(receipt, this.taskAddress);
    const pending = receipt.logs.find((l) => l.topics[0]?.toLowerCase() === TASK_EVENT_TOPICS.TaskPending &&
      l.address.toLowerCase() === this.taskAddress.toLowerCase());
    const ev = pending ? decodeTaskLog(pending, this.taskAddress) : null;
    return {
      taskId: taskId.toString(),
      txHash: receipt.transactionHash,
      blockNumber: receipt.blockNumber,
      creator: ev && ev.name === 'TaskPending' ? getAddress(ev.creator) : this.queue.address,
      taskFee: fee.toString(),
    };
  }

  /** SPEC §3.9: after the deadline (running) or any time (queued); refunds the creator. */
  async cancelTask(taskId: bigint, signal?: AbortSignal): Promise<CancelledTask> {
    const data = taskInterface.encodeFunctionData('cancelTask', [taskId]);
    const receipt = await this.queue.send({ to: this.taskAddress, data, label: `cancelTask(${taskId})` }, { signal });
    return { txHash: receipt.transactionHash, blockNumber: receipt.blockNumber };
  }

  /** Whether cancelTask would succeed now (eth_call); the revert reason otherwise. */
  async canCancel(taskId: bigint): Promise<{ ok: true } | { ok: false; reason: string }> {
    const data = taskInterface.encodeFunctionData('cancelTask', [taskId]);
    try {
      await this.queue.simulate({ to: this.taskAddress, data, label: 'cancelTask' });
      return { ok: true };
    } catch (err) {
      const reason = (err as { reason?: string }).reason;
      if (typeof reason === 'string') return { ok: false, reason };
      throw err;
    }
  }

  /** getTask (SPEC §3.7): null when the tuple is all zero (queued, finished or unknown). */
  async getTask(taskId: bigint, blockTag: string = 'latest'): Promise<ChainTaskInfo | null> {
    const data = taskInterface.encodeFunctionData('getTask', [taskId]);
    const out = await this.rpc.request<string>('eth_call', [{ to: this.taskAddress, data }, blockTag]);
    const [t] = taskInterface.decodeFunctionResult('getTask', out);
    if (BigInt(t.id) === 0n) return null;
    return {
      id: BigInt(t.id),
      taskType: Number(t.taskType),
      creator: t.creator,
      taskHash: t.taskHash,
      vramLimit: Number(t.vramLimit),
      isSuccess: Boolean(t.isSuccess),
      selectedNodes: [...t.selectedNodes],
      results: [...t.results],
      resultNode: t.resultNode,
      aborted: Boolean(t.aborted),
      timeout: Number(t.timeout),
      balance: BigInt(t.balance),
      totalBalance: BigInt(t.totalBalance),
    };
  }

  /** TaskQueue.include; undefined when no TaskQueue address is configured. */
  async isQueued(taskId: bigint, blockTag: string = 'latest'): Promise<boolean | undefined> {
    if (!this.taskQueueAddress) return undefined;
    const data = taskQueueInterface.encodeFunctionData('include', [taskId]);
    const out = await this.rpc.request<string>('eth_call', [{ to: this.taskQueueAddress, data }, blockTag]);
    return Boolean(taskQueueInterface.decodeFunctionResult('include', out)[0]);
  }

  /** SPEC §3.7 status derivation. */
  async taskState(taskId: bigint, blockTag: string = 'latest'): Promise<{ state: ChainTaskState; info?: ChainTaskInfo }> {
    const info = await this.getTask(taskId, blockTag);
    if (info) return { state: 'running', info };
    return { state: (await this.isQueued(taskId, blockTag)) ? 'queued' : 'finished' };
  }

  /** The chain's clock: timestamp of the latest block (deadlines are in chain time). */
  async chainTime(): Promise<number> {
    const block = await this.rpc.request<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false]);
    return Number(BigInt(block.timestamp));
  }
}
