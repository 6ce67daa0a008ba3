/**
 * crynux-config: network presets (SPEC §1.3) and the translation of the dialog's settings
 * into CrynuxClientOptions. Every problem is a ConfigError naming the setting; the key is
 * never part of a message.
 */
import { isAddress } from 'ethers';
import { ConfigError } from '../lib/errors';
import { addressOfKey, normalizePrivateKey } from '../lib/protocol';
import type { CrynuxClientOptions } from '../lib/client-types';
import { parseCnx, parseSeconds, parseWhole } from './shared';

export interface NetworkPreset {
  chainId: string;
  rpcUrls: string;
  taskAddress: string;
  taskQueueAddress: string;
  relayUrl: string;
  gasPriceMode: 'auto' | 'fixed';
  gasPrice: string;
  confirmations: string;
}

/**
 * Filled into the dialog when the user picks a network (the editor carries a copy; a test
 * keeps them equal).
 */
export const NETWORK_PRESETS: Record<'devnet' | 'testnet2024', NetworkPreset> = {
  // `npm run devnet`: fixed ports, and a fresh devnet always deploys to the same addresses.
  devnet: {
    chainId: '10000',
    rpcUrls: 'http://127.0.0.1:8545',
    taskAddress: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
    taskQueueAddress: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
    relayUrl: 'http://127.0.0.1:8080',
    gasPriceMode: 'auto',
    gasPrice: '',
    confirmations: '1',
  },
  // SPEC §1.3: Dymension rollapp crynux_10000-1 (historical; newest RPC first for failover).
  testnet2024: {
    chainId: '10000',
    rpcUrls: [
      'https://json-rpc.testnet.crynux.ai',
      'https://crynux-testnet.public.blastapi.io',
      'https://json-rpc.crynux.evm.ra.blumbus.noisnemyd.xyz/',
    ].join('\n'),
    taskAddress: '0x07E149A0e372C2F54Df6358d021d700703D222D1',
    taskQueueAddress: '0xeD4cbf24978AD18d73ee6190e361E71095E857A7',
    relayUrl: 'https://dy.relay.crynux.ai',
    gasPriceMode: 'fixed',
    gasPrice: '10', // wei, as the node and SDK sent it
    confirmations: '1',
  },
};

export interface ConfigSettings {
  network?: string;
  rpcUrls?: string;
  chainId?: string | number;
  taskAddress?: string;
  taskQueueAddress?: string;
  relayUrl?: string;
  gasPriceMode?: string;
  gasPrice?: string | number;
  gasLimitMode?: string;
  gasLimit?: string | number;
  confirmations?: string | number;
  pollInterval?: string | number;
  lowBalance?: string | number;
  store?: string;
}

export function parseUrls(text: unknown): string[] {
  return String(text ?? '')
    .split(/[\s,]+/)
    .map((u) => u.trim())
    .filter(Boolean);
}

function checkUrl(u: string, field: string): string {
  if (!u) throw new ConfigError(`${field} is required`);
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new ConfigError(`${field} must be an http(s) URL (got "${u}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`${field} must be an http(s) URL (got "${u}")`);
  return u;
}

function checkAddress(v: unknown, field: string, required: boolean): string | undefined {
  const s = typeof v === 'string' ? v.trim() : '';
  if (!s && !required) return undefined;
  if (!s) throw new ConfigError(`${field} is required: the contract address (0x + 40 hex characters)`);
  if (!isAddress(s)) throw new ConfigError(`${field} must be a contract address, 0x + 40 hex characters (got "${s}")`);
  return s;
}

/** The key in 0x form, or a ConfigError that does not repeat it (SPEC §5.6: with or without 0x). */
export function checkPrivateKey(key: unknown): string {
  if (typeof key !== 'string' || key.trim() === '') {
    throw new ConfigError('The private key is missing: enter the application wallet key in the Network config');
  }
  try {
    return normalizePrivateKey(key);
  } catch {
    throw new ConfigError('The private key must be 64 hexadecimal characters, with or without 0x');
  }
}

export function walletAddress(key: unknown): string {
  return addressOfKey(checkPrivateKey(key));
}

export interface ParsedConfig {
  client: Omit<CrynuxClientOptions, 'privateKey' | 'store' | 'logger'>;
  lowBalanceWei: bigint;
  store?: string;
}

/** SPEC §3.10: createTask uses 0.75–0.87 M gas (the node's estimate ≈ 1.00 M); far less is always a mistake. */
const MIN_GAS_LIMIT = 200_000;
/** A block's gas limit on common chains; a transaction above it is never mined. */
const MAX_GAS_LIMIT = 30_000_000;

function fixedGasLimit(v: unknown): number {
  let n: number;
  try {
    n = parseWhole(v, 'Gas limit', 0, MAX_GAS_LIMIT, 5_000_000);
  } catch {
    throw new ConfigError('Gas limit must be a whole number from 200,000 to 30,000,000 (createTask needs about 1,000,000 gas)');
  }
  if (n < MIN_GAS_LIMIT) {
    throw new ConfigError(
      `Gas limit ${n.toLocaleString('en-US')} is too low: createTask needs about 1,000,000 gas, so use at least ` +
        `${MIN_GAS_LIMIT.toLocaleString('en-US')} (5,000,000 is the usual fixed limit) or choose "estimate"`,
    );
  }
  return n;
}

/** Dialog settings → client options (without key, store and logger). */
export function parseConfigSettings(s: ConfigSettings): ParsedConfig {
  const rpcUrls = parseUrls(s.rpcUrls).map((u) => checkUrl(u, 'RPC URL'));
  if (!rpcUrls.length) throw new ConfigError('RPC URLs: enter at least one JSON-RPC URL');
  const chainText = String(s.chainId ?? '').trim();
  const chainId = chainText === '' ? undefined : parseWhole(chainText, 'Chain id', 1, Number.MAX_SAFE_INTEGER);
  const relayUrl = checkUrl(String(s.relayUrl ?? '').trim().replace(/\/+$/, ''), 'Relay URL');
  const gasPrice =
    s.gasPriceMode === 'fixed' ? BigInt(parseWhole(s.gasPrice, 'Gas price (wei)', 0, Number.MAX_SAFE_INTEGER)) : 'auto';
  const gasLimit = s.gasLimitMode === 'estimate' ? 'estimate' : BigInt(fixedGasLimit(s.gasLimit));
  return {
    client: {
      rpcUrls,
      chainId,
      taskAddress: checkAddress(s.taskAddress, 'Task contract address', true) as string,
      taskQueueAddress: checkAddress(s.taskQueueAddress, 'TaskQueue contract address', false),
      relayUrl,
      gasPrice,
      gasLimit,
      confirmations: parseWhole(s.confirmations, 'Confirmations', 0, 100, 1),
      pollIntervalMs: parseSeconds(s.pollInterval, 'Poll interval', 2),
    },
    lowBalanceWei: s.lowBalance === '' || s.lowBalance === undefined ? 0n : parseCnx(s.lowBalance, 'Low-balance threshold', 'config'),
    store: typeof s.store === 'string' && s.store.trim() ? s.store.trim() : undefined,
  };
}
