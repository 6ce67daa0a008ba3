/** Checks of CrynuxClient options that need more than a type: each error names its field. */
import { getAddress } from 'ethers';
import { ConfigError } from './errors';
import type { CrynuxClientOptions } from './client-types';

function address(value: unknown, field: string): string {
  try {
    return getAddress(String(value));
  } catch {
    throw new ConfigError(`${field} must be a 0x-prefixed 20-byte contract address, got ${JSON.stringify(value)}`);
  }
}

function amount(value: unknown, field: string, keyword: string): bigint | typeof keyword {
  if (value === keyword) return keyword;
  if (typeof value === 'bigint' && value >= 0n) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  throw new ConfigError(`${field} must be '${keyword}' or a whole number of ${field === 'gasPrice' ? 'wei' : 'gas'}, got ${JSON.stringify(String(value))}`);
}

function positive(value: unknown, field: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new ConfigError(`${field} must be a number ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The options as the client keeps them: checked, defaults filled in, and without the
 * private key (never kept in our own copy).
 */
export function normalizeOptions(options: CrynuxClientOptions): { opts: CrynuxClientOptions; taskAddress: string; requestTimeoutMs?: number } {
  const taskAddress = address(options.taskAddress, 'taskAddress');
  const taskQueueAddress = options.taskQueueAddress ? address(options.taskQueueAddress, 'taskQueueAddress') : undefined;
  const gasPrice = amount(options.gasPrice ?? 'auto', 'gasPrice', 'auto') as 'auto' | bigint;
  const gasLimit = amount(options.gasLimit ?? 5_000_000n, 'gasLimit', 'estimate') as 'estimate' | bigint;
  const confirmations = positive(options.confirmations, 'confirmations', 1, 0);
  if (!Number.isInteger(confirmations)) throw new ConfigError(`confirmations must be a whole number, got ${confirmations}`);
  const pollIntervalMs = positive(options.pollIntervalMs, 'pollIntervalMs', 2000, 10);
  const maxLogRange = Math.floor(positive(options.maxLogRange, 'maxLogRange', 500, 1));
  const requestTimeoutMs = options.requestTimeoutMs === undefined ? undefined : positive(options.requestTimeoutMs, 'requestTimeoutMs', 0, 1);
  return {
    opts: { ...options, privateKey: '', taskAddress, taskQueueAddress, gasPrice, gasLimit, confirmations, pollIntervalMs, maxLogRange },
    taskAddress,
    requestTimeoutMs,
  };
}
