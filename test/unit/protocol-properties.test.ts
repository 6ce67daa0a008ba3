/**
 * Property tests (fast-check, ≥ 1000 runs each) for the byte-exact parts of SPEC §5:
 * Go string escaping and relay signatures.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Wallet, keccak256, recoverAddress, toUtf8Bytes } from 'ethers';
import { goJsonString } from '../../lib/protocol/go-json';
import { recoverRelaySigner, relaySignatureFormatProblem, relaySigningString, signRelayFields } from '../../lib/protocol/signing';

const RUNS = { numRuns: 1000 };

// Characters where escaping rules bite, mixed with arbitrary well-formed code points.
const tricky = fc.constantFrom(
  '<', '>', '&', '\u2028', '\u2029', '"', '\\', '\\b', '\\u', '/', '\u0000', '\u0008', '\u000c', '\n', '\r', '\t',
  '\u001f', '\u007f', '\u0085', '\ufeff', '😀', '👩‍💻', '中文', '一只猫', 'é', "'", '\ufffd',
);
const anyCodePoint = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
const unicodeText = fc.string({ unit: fc.oneof(tricky, anyCodePoint, fc.string({ unit: 'grapheme-composite', maxLength: 1 })), maxLength: 40 });
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const textWithBrokenUnicode = fc.string({ unit: fc.oneof(tricky, anyCodePoint, loneSurrogate), maxLength: 30 });

/** The SPEC §5.2 table applied code point by code point: an independent reference for goJsonString. */
function referenceGoString(s: string): string {
  const named: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (named[ch]) out += named[ch];
    else if (cp < 0x20 || ch === '<' || ch === '>' || ch === '&' || cp === 0x2028 || cp === 0x2029) {
      out += `\\u${cp.toString(16).padStart(4, '0')}`;
    } else if (cp >= 0xd800 && cp <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return `${out}"`;
}

describe('goJsonString properties (SPEC §5.2)', () => {
  it('round-trips through JSON.parse for well-formed strings', () => {
    fc.assert(fc.property(unicodeText, (s) => JSON.parse(goJsonString(s)) === s), RUNS);
  });

  it('never contains a raw <, >, &, U+2028 or U+2029, nor a raw control character', () => {
    fc.assert(
      fc.property(unicodeText, (s) => !/[<>&\u2028\u2029\u0000-\u001f]/.test(goJsonString(s))),
      RUNS,
    );
  });

  it('equals the SPEC §5.2 table applied code point by code point (lone surrogates → U+FFFD)', () => {
    fc.assert(fc.property(textWithBrokenUnicode, (s) => goJsonString(s) === referenceGoString(s)), RUNS);
  });

  it('a lone surrogate is written as the raw U+FFFD the relay signs (String.prototype.toWellFormed agrees)', () => {
    const toWellFormed = (x: string) => (x as unknown as { toWellFormed(): string }).toWellFormed();
    fc.assert(
      fc.property(textWithBrokenUnicode, (s) => {
        const out = goJsonString(s);
        // no \udXXX escape (an escaped backslash followed by "ud8…" text is fine)
        return !/(?<!\\)(?:\\\\)*\\ud[89a-f]/i.test(out) && JSON.parse(out) === toWellFormed(s);
      }),
      RUNS,
    );
  });
});

describe('signRelayFields properties (SPEC §5.1)', () => {
  // A fixed key keeps 1000 signatures + 2 recoveries each within a few seconds.
  const wallet = new Wallet('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
  const fields = fc.oneof(
    fc.record({ task_args: unicodeText, task_id: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
    fc.record({ task_id: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
    fc.record({ image_num: fc.integer({ min: 0, max: 9 }).map(String), task_id: fc.integer({ min: 1, max: 2 ** 53 - 1 }) }),
  );
  const timestamp = fc.integer({ min: 0, max: 2 ** 32 });

  it('recovers to the wallet address (recoverRelaySigner and ethers over the exact signing string)', () => {
    fc.assert(
      fc.property(fields, timestamp, (f, ts) => {
        const { signature } = signRelayFields(wallet.privateKey, f, ts);
        assert.equal(relaySignatureFormatProblem(signature), null);
        assert.equal(recoverRelaySigner(f, ts, signature), wallet.address);
        const v = parseInt(signature.slice(130), 16);
        const digest = keccak256(toUtf8Bytes(relaySigningString(f, ts)));
        assert.equal(recoverAddress(digest, `${signature.slice(0, 130)}${(27 + v).toString(16)}`), wallet.address);
      }),
      RUNS,
    );
  });
});
