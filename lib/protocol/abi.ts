/**
 * The Task contract interface as deployed in 2024 (SPEC §3.2, §3.3), written as
 * human-readable fragments. Conformance tests check every selector and topic against the
 * upstream ABI JSON.
 */
import { Interface, id } from 'ethers';

const TASK_INFO =
  'tuple(uint256 id, uint256 taskType, address creator, bytes32 taskHash, bytes32 dataHash, uint256 vramLimit, ' +
  'bool isSuccess, address[] selectedNodes, bytes32[] commitments, bytes32[] nonces, uint256[] commitmentSubmitRounds, ' +
  'bytes[] results, uint256[] resultDisclosedRounds, address resultNode, bool aborted, uint256 timeout, ' +
  'uint256 balance, uint256 totalBalance)';

export const TASK_ABI: readonly string[] = [
  // application side
  'function createTask(uint256 taskType, bytes32 taskHash, bytes32 dataHash, uint256 vramLimit, uint256 cap) payable',
  'function cancelTask(uint256 taskId)',
  `function getTask(uint256 taskId) view returns (${TASK_INFO})`,
  'function getNodeTask(address nodeAddress) view returns (uint256)',
  'function totalTasks() view returns (uint256)',
  'function totalSuccessTasks() view returns (uint256)',
  'function totalAbortedTasks() view returns (uint256)',
  // node side
  'function submitTaskResultCommitment(uint256 taskId, uint256 round, bytes32 commitment, bytes32 nonce)',
  'function discloseTaskResult(uint256 taskId, uint256 round, bytes result)',
  'function reportResultsUploaded(uint256 taskId, uint256 round)',
  'function reportTaskError(uint256 taskId, uint256 round)',
  // events (taskId is NOT indexed in TaskPending / TaskStarted: SPEC §3.3)
  'event TaskPending(uint256 taskId, uint256 taskType, address indexed creator, bytes32 taskHash, bytes32 dataHash)',
  'event TaskStarted(uint256 taskId, uint256 taskType, address indexed creator, address indexed selectedNode, bytes32 taskHash, bytes32 dataHash, uint256 round)',
  'event TaskResultCommitmentsReady(uint256 indexed taskId)',
  'event TaskSuccess(uint256 indexed taskId, bytes result, address indexed resultNode)',
  'event TaskAborted(uint256 indexed taskId, string reason)',
  'event TaskResultUploaded(uint256 indexed taskId)',
  'event TaskNodeSuccess(uint256 indexed taskId, address nodeAddress, uint256 fee)',
  'event TaskNodeSlashed(uint256 indexed taskId, address nodeAddress)',
  'event TaskNodeCancelled(uint256 indexed taskId, address nodeAddress)',
];

export const NODE_ABI: readonly string[] = [
  'function join(string gpuName, uint256 gpuVram) payable',
  'function quit()',
  'function pause()',
  'function resume()',
  'function getNodeStatus(address nodeAddress) view returns (uint256)',
];

export const TASK_QUEUE_ABI: readonly string[] = [
  'function include(uint256 taskId) view returns (bool)',
  'function size() view returns (uint256)',
  'function getSizeLimit() view returns (uint256)',
];

export const taskInterface = new Interface(TASK_ABI);
export const nodeInterface = new Interface(NODE_ABI);
export const taskQueueInterface = new Interface(TASK_QUEUE_ABI);

/** topic0 of each Task event, keyed by name. */
export const TASK_EVENT_TOPICS = {
  TaskPending: id('TaskPending(uint256,uint256,address,bytes32,bytes32)'),
  TaskStarted: id('TaskStarted(uint256,uint256,address,address,bytes32,bytes32,uint256)'),
  TaskResultCommitmentsReady: id('TaskResultCommitmentsReady(uint256)'),
  TaskSuccess: id('TaskSuccess(uint256,bytes,address)'),
  TaskAborted: id('TaskAborted(uint256,string)'),
  TaskResultUploaded: id('TaskResultUploaded(uint256)'),
  TaskNodeSuccess: id('TaskNodeSuccess(uint256,address,uint256)'),
  TaskNodeSlashed: id('TaskNodeSlashed(uint256,address)'),
  TaskNodeCancelled: id('TaskNodeCancelled(uint256,address)'),
} as const;

export type TaskEventName = keyof typeof TASK_EVENT_TOPICS;

/** Task types of createTask (SPEC §3.4). */
export const TaskType = { SD: 0, GPT: 1 } as const;
export type TaskTypeValue = (typeof TaskType)[keyof typeof TaskType];

/** dataHash is reserved: 32 zero bytes (SPEC §3.4). */
export const ZERO_DATA_HASH = `0x${'00'.repeat(32)}`;

/** Abort reasons the 2024 contract emits (SPEC §3.8). */
export const ABORT_REASONS = {
  CANCELLED: 'Task Cancelled',
  ERROR_REPORTED: 'Task error reported',
  RESULT_ILLEGAL: 'Task result illegal',
  FEE_TOO_LOW: 'Task fee is too low',
} as const;

/** Fixed gas limit the 2024 clients used; estimates are tight because of the try/catch (SPEC §3.10). */
export const DEFAULT_GAS_LIMIT = 5_000_000n;
