/**
 * The stand-in relay's signature check, in the relay's order (SPEC §5.5):
 * 1. drop 2 characters unchecked, hex-decode (either case);
 * 2. |now − ts| ≤ 60 s;
 * 3. recover: 65 bytes and v < 4, else an error;
 * 4. libsecp256k1 verification, which fails (no error) for high-S;
 * 5. the EIP-55 address.
 * Endpoints A, B, D turn every failure into 400 `Invalid signature`; C answers 500 with the
 * error text for the "error" kind (decode/recovery) and 400 for the "invalid" kind.
 */
import { recoverRelaySigner, relaySignatureFormatProblem, type RelayFields } from '../../lib/protocol';

export type SignatureCheck =
  | { ok: true; signer: string }
  /** Verification failed without an error: stale timestamp or high-S. */
  | { ok: false; kind: 'invalid'; reason: string }
  /** Go returned an error: bad hex, wrong length, bad recovery id. */
  | { ok: false; kind: 'error'; reason: string };

/** Allowed clock difference between the request timestamp and the relay (SPEC §5.5 step 2). */
export const TIMESTAMP_WINDOW_SECONDS = 60n;

/** Go's hex.DecodeString error for `hex`, or null when it decodes. */
export function goHexDecodeError(hex: string): string | null {
  const bad = (c: string) => `encoding/hex: invalid byte: U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
  const isHex = (c: string) => /^[0-9a-fA-F]$/.test(c);
  // Go checks pairs first, then the odd tail character, then the length.
  let j = 1;
  for (; j < hex.length; j += 2) {
    if (!isHex(hex[j - 1])) return bad(hex[j - 1]);
    if (!isHex(hex[j])) return bad(hex[j]);
  }
  if (hex.length % 2 === 1) {
    if (!isHex(hex[j - 1])) return bad(hex[j - 1]);
    return 'encoding/hex: odd length hex string';
  }
  return null;
}

/**
 * Checks `signature` over `fields` + `timestamp` at relay time `nowSeconds`. Never throws
 * for bad input.
 */
export function verifyRelaySignature(
  fields: RelayFields,
  timestamp: bigint,
  signature: string,
  nowSeconds: number | bigint,
): SignatureCheck {
  const hexError = goHexDecodeError(signature.slice(2));
  if (hexError) return { ok: false, kind: 'error', reason: hexError };

  const skew = BigInt(nowSeconds) - timestamp;
  if (skew > TIMESTAMP_WINDOW_SECONDS || skew < -TIMESTAMP_WINDOW_SECONDS) {
    return { ok: false, kind: 'invalid', reason: 'timestamp outside the 60 s window' };
  }

  const problem = relaySignatureFormatProblem(signature);
  if (problem === 'invalid signature length' || problem === 'invalid signature recovery id') {
    return { ok: false, kind: 'error', reason: problem };
  }
  // v = 2 or 3 passes Go's `v < 4` check but names an x-coordinate above n: recovery fails.
  if (parseInt(signature.slice(-2), 16) > 1) return { ok: false, kind: 'error', reason: 'invalid signature recovery id' };
  if (problem === 'high-S signature') return { ok: false, kind: 'invalid', reason: 'high-S signature rejected by verification' };
  if (problem) return { ok: false, kind: 'error', reason: problem };

  try {
    return { ok: true, signer: recoverRelaySigner(fields, timestamp, signature) };
  } catch {
    // r or s out of range: secp256k1 recovery fails with an error.
    return { ok: false, kind: 'error', reason: 'invalid signature: recovery failed' };
  }
}
