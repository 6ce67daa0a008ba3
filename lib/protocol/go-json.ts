/**
 * Go `encoding/json` string literals (SPEC §5.2). The relay decodes the request body and
 * re-encodes the payload with Go before checking the signature, so we must produce the
 * very bytes Go writes, which differ from JSON.stringify for `<`, `>`, `&`, U+2028, U+2029,
 * U+0008, U+000C and lone surrogates.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const GO_EXTRA_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** True when `s` contains no unpaired UTF-16 surrogate. */
export function isWellFormedString(s: string): boolean {
  LONE_SURROGATE.lastIndex = 0;
  return !LONE_SURROGATE.test(s);
}

/**
 * The quoted string literal exactly as Go's encoding/json writes it. A lone surrogate
 * becomes a raw U+FFFD, which is what the relay signs after decoding `\udXXX` (vector S21).
 */
export function goJsonString(s: string): string {
  const wellFormed = s.replace(LONE_SURROGATE, '\uFFFD');
  return (
    JSON.stringify(wellFormed)
      // Go <= 1.21 (the 2024 relay and vectors.json) writes \u0008 and \u000c; JS writes \b, \f.
      // Only a backslash preceded by an even number of backslashes starts an escape.
      .replace(/(?<!\\)((?:\\\\)*)\\([bf])/g, (_m, pre: string, c: string) => `${pre}\\u000${c === 'b' ? '8' : 'c'}`)
      .replace(/[<>&\u2028\u2029]/g, (c) => GO_EXTRA_ESCAPES[c])
  );
}
