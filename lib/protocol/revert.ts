/**
 * Revert data → readable reason (SPEC §3.5): `Error(string)` 0x08c379a0 and
 * `Panic(uint256)` 0x4e487b71.
 */
import { AbiCoder, dataSlice } from 'ethers';

const ERROR_SELECTOR = '0x08c379a0';
const PANIC_SELECTOR = '0x4e487b71';

const PANIC_MEANING: Record<number, string> = {
  0x01: 'assertion failed',
  0x11: 'arithmetic overflow or underflow',
  0x12: 'division by zero (on the Task contract: cap was 0 while the task was queued)',
  0x21: 'invalid enum value',
  0x22: 'bad storage byte array',
  0x31: 'pop on an empty array',
  0x32: 'array index out of bounds',
  0x41: 'out of memory',
  0x51: 'call to an uninitialised function',
};

/** What a user can do about a revert reason of the Task contract (SPEC §3.5). */
export const REVERT_HINTS: Record<string, string> = {
  'No available task': "the contract's task queue is full or disabled; try again later or raise the fee",
  'Task queue is full': "the contract's task queue is full or disabled; try again later or raise the fee",
  'Invalid task type': 'taskType must be 0 (Stable Diffusion) or 1 (GPT)',
  'Task has not exceeded the deadline yet': 'a running task can be cancelled only after its deadline (900 s after it started)',
  'Not called by the task contract': 'the Task and TaskQueue contracts are not wired to each other: check the contract addresses',
  'Not called by the node contract': 'the Task and Node contracts are not wired to each other: check the contract addresses',
};

/** "No available task" → "No available task (the contract's task queue is full …)". */
export function withRevertHint(reason: string): string {
  const hint = REVERT_HINTS[reason];
  return hint ? `${reason} (${hint})` : reason;
}

export interface DecodedRevert {
  kind: 'error' | 'panic' | 'empty' | 'unknown';
  reason: string;
  panicCode?: number;
}

export function decodeRevertData(data: string | null | undefined): DecodedRevert {
  if (!data || data === '0x') return { kind: 'empty', reason: 'reverted without a reason (possibly out of gas)' };
  const hex = data.toLowerCase();
  const coder = AbiCoder.defaultAbiCoder();
  try {
    if (hex.startsWith(ERROR_SELECTOR)) {
      const [reason] = coder.decode(['string'], dataSlice(hex, 4));
      return { kind: 'error', reason: String(reason) };
    }
    if (hex.startsWith(PANIC_SELECTOR)) {
      const [code] = coder.decode(['uint256'], dataSlice(hex, 4));
      const n = Number(code);
      const meaning = PANIC_MEANING[n] ?? 'unknown panic';
      return { kind: 'panic', panicCode: n, reason: `Panic(0x${n.toString(16).padStart(2, '0')}): ${meaning}` };
    }
  } catch {
    // fall through: malformed payload
  }
  return { kind: 'unknown', reason: `reverted with unrecognised data ${hex.slice(0, 74)}` };
}
