import { keccak256 } from 'ethers';

/**
 * keccak256 of the UTF-8 bytes of the exact argument string (SPEC §6.1). The same string
 * must be hashed for createTask, uploaded to the relay and signed: never re-serialise it.
 * Buffer encodes a lone surrogate as U+FFFD, the bytes the relay hashes after decoding.
 */
export function taskHash(taskArgs: string): string {
  if (typeof taskArgs !== 'string') throw new TypeError('taskArgs must be the exact JSON string');
  return keccak256(Buffer.from(taskArgs, 'utf8'));
}
