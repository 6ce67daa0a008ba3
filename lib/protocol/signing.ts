/**
 * Relay request signatures (SPEC §5): keccak256 over Go-encoded payload + decimal
 * timestamp, no EIP-191 prefix, 65 bytes r‖s‖v with v ∈ {0,1}, low-S.
 */
import { SigningKey, computeAddress, getBytes, hexlify, keccak256, Signature } from 'ethers';
import { goJsonString } from './go-json';

export type RelayFieldValue = string | number | bigint;
export type RelayFields = Record<string, RelayFieldValue>;

const UINT64_MAX = 2n ** 64n - 1n;

/** Decimal text of a uint64 (the relay's Go field type); numbers must be safe non-negative integers. */
function decimal(name: string, v: number | bigint): string {
  if (typeof v === 'bigint') {
    if (v < 0n || v > UINT64_MAX) throw new RangeError(`${name} must be a whole number from 0 to 2^64-1`);
    return v.toString(10);
  }
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`${name} must be a non-negative whole number (got ${String(v)}); use a bigint beyond 2^53`);
  }
  return v.toString(10);
}

/** The compact JSON of `fields` (keys sorted, Go escaping) followed by the decimal timestamp. */
export function relaySigningString(fields: RelayFields, timestamp: number | bigint): string {
  const keys = Object.keys(fields).sort();
  const body = keys
    .map((k) => {
      const v = fields[k];
      const value = typeof v === 'string' ? goJsonString(v) : decimal(k, v);
      return `${goJsonString(k)}:${value}`;
    })
    .join(',');
  return `{${body}}${decimal('timestamp', timestamp)}`;
}

/** Accepts a 32-byte private key with or without `0x` (SPEC §5.6); returns the 0x form. */
export function normalizePrivateKey(privateKey: string): string {
  if (typeof privateKey !== 'string') throw new TypeError('The private key must be a string');
  const trimmed = privateKey.trim();
  const hex = trimmed.startsWith('0x') || trimmed.startsWith('0X') ? trimmed.slice(2) : trimmed;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    // Never echo the value: it is a secret even when malformed.
    throw new TypeError('The private key must be 64 hexadecimal characters, with or without 0x');
  }
  return `0x${hex.toLowerCase()}`;
}

export interface RelaySignature {
  timestamp: number;
  signature: string;
}

/** Signs `relaySigningString(fields, timestamp)` the way the relay verifies it. */
export function signRelayFields(privateKey: string, fields: RelayFields, timestamp: number | bigint): RelaySignature {
  const message = relaySigningString(fields, timestamp);
  const digest = keccak256(Buffer.from(message, 'utf8'));
  const sig = new SigningKey(normalizePrivateKey(privateKey)).sign(digest);
  // ethers gives v = 27/28 and low-S; the relay wants v = 0/1 (SPEC §5.1 step 5).
  const signature = hexlify(new Uint8Array([...getBytes(sig.r), ...getBytes(sig.s), sig.yParity]));
  return { timestamp: Number(timestamp), signature };
}

const SECP256K1_N_HALF = BigInt('0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');

/** Why a signature would fail the relay's format checks (SPEC §5.5), or null when it passes. */
export function relaySignatureFormatProblem(signature: string): string | null {
  const body = signature.slice(2); // the relay drops two characters without looking at them
  if (!/^[0-9a-fA-F]*$/.test(body) || body.length % 2 !== 0) return 'invalid hex';
  if (body.length !== 130) return 'invalid signature length';
  const v = parseInt(body.slice(128), 16);
  if (v >= 4) return 'invalid signature recovery id';
  const s = BigInt(`0x${body.slice(64, 128)}`);
  if (s > SECP256K1_N_HALF) return 'high-S signature';
  return null;
}

/**
 * Recovers the EIP-55 address that signed `fields`+`timestamp`, as the relay does. Throws
 * when the signature is malformed; callers check the timestamp window themselves.
 */
export function recoverRelaySigner(fields: RelayFields, timestamp: number | bigint, signature: string): string {
  const problem = relaySignatureFormatProblem(signature);
  if (problem) throw new Error(problem);
  const body = signature.slice(2);
  const digest = keccak256(Buffer.from(relaySigningString(fields, timestamp), 'utf8'));
  const v = parseInt(body.slice(128), 16);
  const sig = Signature.from({ r: `0x${body.slice(0, 64)}`, s: `0x${body.slice(64, 128)}`, v: 27 + (v & 1) });
  return computeAddress(SigningKey.recoverPublicKey(digest, sig));
}

/** The EIP-55 address of a private key (accepted with or without 0x). */
export function addressOfKey(privateKey: string): string {
  return computeAddress(new SigningKey(normalizePrivateKey(privateKey)).publicKey);
}
