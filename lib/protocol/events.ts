/**
 * Decoding of Task contract logs into plain objects (SPEC §3.3, §3.6). Logs are matched by
 * contract address and topic0, never by position in the receipt.
 */
import { AbiCoder, getAddress } from 'ethers';
import { TASK_EVENT_TOPICS, taskInterface } from './abi';
import { ConfigError } from '../errors';

export interface LogLike {
  address: string;
  topics: readonly string[];
  data: string;
  blockNumber?: number;
  transactionHash?: string;
  logIndex?: number;
  index?: number;
}

export interface ReceiptLike {
  status?: number | null;
  logs: readonly LogLike[];
  hash?: string;
  transactionHash?: string;
  blockNumber?: number;
}

export type TaskEvent =
  | { name: 'TaskPending'; taskId: bigint; taskType: bigint; creator: string; taskHash: string; dataHash: string }
  | { name: 'TaskStarted'; taskId: bigint; taskType: bigint; creator: string; selectedNode: string; taskHash: string; dataHash: string; round: bigint }
  | { name: 'TaskResultCommitmentsReady'; taskId: bigint }
  | { name: 'TaskSuccess'; taskId: bigint; result: string; resultNode: string }
  | { name: 'TaskAborted'; taskId: bigint; reason: string }
  | { name: 'TaskResultUploaded'; taskId: bigint }
  | { name: 'TaskNodeSuccess'; taskId: bigint; nodeAddress: string; fee: bigint }
  | { name: 'TaskNodeSlashed'; taskId: bigint; nodeAddress: string }
  | { name: 'TaskNodeCancelled'; taskId: bigint; nodeAddress: string };

const coder = AbiCoder.defaultAbiCoder();
const TOPIC_TO_NAME = new Map<string, keyof typeof TASK_EVENT_TOPICS>(
  Object.entries(TASK_EVENT_TOPICS).map(([name, topic]) => [topic, name as keyof typeof TASK_EVENT_TOPICS]),
);

function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Topics (topic0 included) of each event in the 2024 layout. */
const TOPIC_COUNT: Record<keyof typeof TASK_EVENT_TOPICS, number> = {
  TaskPending: 2,
  TaskStarted: 3,
  TaskResultCommitmentsReady: 2,
  TaskSuccess: 3,
  TaskAborted: 2,
  TaskResultUploaded: 2,
  TaskNodeSuccess: 2,
  TaskNodeSlashed: 2,
  TaskNodeCancelled: 2,
};

/**
 * Decodes a Task log, or returns null for logs of other contracts/events and for logs that
 * do not decode (never throws: a watcher must survive a stray log). Handles the older layout
 * where TaskSuccess/TaskAborted had a non-indexed id (SPEC §3.3: check the topic count).
 */
export function decodeTaskLog(log: LogLike, taskAddress?: string): TaskEvent | null {
  if (taskAddress && !sameAddress(log.address, taskAddress)) return null;
  const name = log.topics.length > 0 ? TOPIC_TO_NAME.get(log.topics[0].toLowerCase()) : undefined;
  if (!name) return null;
  try {
    return decodeKnown(name, log);
  } catch {
    return null;
  }
}

function decodeKnown(name: keyof typeof TASK_EVENT_TOPICS, log: LogLike): TaskEvent | null {
  if (name === 'TaskAborted' && log.topics.length === 1) {
    const [taskId, reason] = coder.decode(['uint256', 'string'], log.data);
    return { name, taskId, reason };
  }
  if (name === 'TaskSuccess' && log.topics.length < 3) {
    // legacy: taskId (and the node, when not indexed) in data
    if (log.topics.length === 2) {
      const [taskId, result] = coder.decode(['uint256', 'bytes'], log.data);
      const [resultNode] = coder.decode(['address'], log.topics[1]);
      return { name, taskId, result, resultNode: getAddress(resultNode) };
    }
    const [taskId, result, resultNode] = coder.decode(['uint256', 'bytes', 'address'], log.data);
    return { name, taskId, result, resultNode: getAddress(resultNode) };
  }
  if (log.topics.length !== TOPIC_COUNT[name]) return null;
  const parsed = taskInterface.parseLog({ topics: [...log.topics], data: log.data });
  if (!parsed) return null;
  const a = parsed.args;
  switch (name) {
    case 'TaskPending':
      return { name, taskId: a.taskId, taskType: a.taskType, creator: a.creator, taskHash: a.taskHash, dataHash: a.dataHash };
    case 'TaskStarted':
      return {
        name, taskId: a.taskId, taskType: a.taskType, creator: a.creator, selectedNode: a.selectedNode,
        taskHash: a.taskHash, dataHash: a.dataHash, round: a.round,
      };
    case 'TaskSuccess':
      return { name, taskId: a.taskId, result: a.result, resultNode: a.resultNode };
    case 'TaskAborted':
      return { name, taskId: a.taskId, reason: a.reason };
    case 'TaskNodeSuccess':
      return { name, taskId: a.taskId, nodeAddress: a.nodeAddress, fee: a.fee };
    case 'TaskNodeSlashed':
    case 'TaskNodeCancelled':
      return { name, taskId: a.taskId, nodeAddress: a.nodeAddress };
    case 'TaskResultCommitmentsReady':
    case 'TaskResultUploaded':
      return { name, taskId: a.taskId };
  }
}

/**
 * The task id created by a createTask receipt: data word 0 of the one `TaskPending` log
 * emitted by the Task contract. Never picked by index: eviction receipts start with another
 * task's TaskAborted (SPEC §3.6).
 */
export function taskIdFromReceipt(receipt: ReceiptLike, taskAddress: string): bigint {
  const pending = receipt.logs.filter(
    (l) => sameAddress(l.address, taskAddress) && l.topics[0]?.toLowerCase() === TASK_EVENT_TOPICS.TaskPending,
  );
  const tx = receipt.transactionHash ?? receipt.hash;
  const txWords = tx ? `The transaction ${tx}` : 'The transaction';
  if (pending.length === 0) {
    // Mined with status 1 but no task: the call went to a contract that is not the Task contract.
    throw new ConfigError(
      `${txWords} was mined but the address ${taskAddress} did not emit TaskPending: ` +
        'is the Task contract address right? The fee went to that address.',
    );
  }
  if (pending.length > 1) {
    throw new ConfigError(
      `${txWords} made ${taskAddress} emit ${pending.length} TaskPending logs, expected one: is it the Crynux Task contract?`,
    );
  }
  const ev = decodeTaskLog(pending[0], taskAddress);
  if (!ev || ev.name !== 'TaskPending') {
    throw new ConfigError(`${txWords}: the TaskPending log of ${taskAddress} could not be decoded: is it the Crynux Task contract?`);
  }
  return ev.taskId;
}

/** All Task events of a receipt, in log order. */
export function taskEventsFromReceipt(receipt: ReceiptLike, taskAddress: string): TaskEvent[] {
  return receipt.logs.map((l) => decodeTaskLog(l, taskAddress)).filter((e): e is TaskEvent => e !== null);
}
