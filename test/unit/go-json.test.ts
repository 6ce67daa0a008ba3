/**
 * SPEC §5.2: the relay re-encodes the payload with Go's encoding/json before checking the
 * signature, so goJsonString must write Go's bytes, rule by rule.
 */
import assert from 'node:assert/strict';
import { goJsonString, isWellFormedString } from '../../lib/protocol/go-json';

describe('goJsonString (Go encoding/json string literals, SPEC §5.2)', () => {
  const cases: [string, string, string][] = [
    ['quote', '"', '"\\""'],
    ['backslash', '\\', '"\\\\"'],
    ['LF', '\n', '"\\n"'],
    ['CR', '\r', '"\\r"'],
    ['TAB', '\t', '"\\t"'],
    ['U+0008 as Go <= 1.21 writes it', '\u0008', '"\\u0008"'],
    ['U+000C as Go <= 1.21 writes it', '\u000c', '"\\u000c"'],
    ['NUL', '\u0000', '"\\u0000"'],
    ['U+001F in lowercase hex', '\u001f', '"\\u001f"'],
    ['U+001B (ESC)', '\u001b', '"\\u001b"'],
    ['<', '<', '"\\u003c"'],
    ['>', '>', '"\\u003e"'],
    ['&', '&', '"\\u0026"'],
    ['U+2028', '\u2028', '"\\u2028"'],
    ['U+2029', '\u2029', '"\\u2029"'],
    ['slash stays raw', '/', '"/"'],
    ['DEL stays raw', '\u007f', '"\u007f"'],
    ['NEL U+0085 stays raw', '\u0085', '"\u0085"'],
    ['non-ASCII stays raw', 'é中', '"é中"'],
    ['emoji stays raw', '😀👩‍💻', '"😀👩‍💻"'],
    ['apostrophe stays raw', "'", '"\'"'],
    ['lone high surrogate becomes a raw U+FFFD', '\ud83d', '"\ufffd"'],
    ['lone low surrogate becomes a raw U+FFFD', 'a\udc00b', '"a\ufffdb"'],
    ['a real surrogate pair is kept', '\ud83d\ude00', '"😀"'],
  ];
  for (const [name, input, expected] of cases) {
    it(`${name}`, () => assert.equal(goJsonString(input), expected));
  }

  it('does not mistake an escaped backslash followed by b/f for a control character', () => {
    assert.equal(goJsonString('\\b\\f'), '"\\\\b\\\\f"');
    assert.equal(goJsonString('\\\u0008'), '"\\\\\\u0008"');
    assert.equal(goJsonString('\u0008\u0008\u000c'), '"\\u0008\\u0008\\u000c"');
  });

  it('escapes task_args twice, as in the SPEC §5.3 example', () => {
    const args = '{"prompt":"a <cat> & dog","n":1}';
    assert.equal(goJsonString(args), '"{\\"prompt\\":\\"a \\u003ccat\\u003e \\u0026 dog\\",\\"n\\":1}"');
  });

  it('differs from JSON.stringify exactly on the HTML and line-separator characters', () => {
    for (const c of ['<', '>', '&', '\u2028', '\u2029']) assert.notEqual(goJsonString(c), JSON.stringify(c));
    for (const c of ['a', '"', '\\', '\n', '/', 'é']) assert.equal(goJsonString(c), JSON.stringify(c));
  });
});

describe('isWellFormedString', () => {
  it('accepts paired surrogates and rejects lone ones', () => {
    assert.equal(isWellFormedString('plain 😀 text'), true);
    assert.equal(isWellFormedString(''), true);
    assert.equal(isWellFormedString('\ud83d'), false);
    assert.equal(isWellFormedString('\ude00x'), false);
    assert.equal(isWellFormedString('\ude00\ud83d'), false, 'reversed pair is two lone surrogates');
  });
  it('gives the same answer twice in a row (no global-regex state)', () => {
    assert.equal(isWellFormedString('\ud83d'), false);
    assert.equal(isWellFormedString('\ud83d'), false);
  });
});
