/**
 * The stand-in relay's building blocks without a chain: Go-compatible JSON reading and
 * writing, the signature verifier's rules (SPEC §5.5) and the shared image hash.
 */
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { IMAGE_HASH_BYTES, hammingDistance, imageHash } from '../../devnet/image-hash';
import { JsonNumber, goJson, parseGoJson } from '../../devnet/relay/json';
import { goHexDecodeError, verifyRelaySignature } from '../../devnet/relay/verify';
import { signRelayFields } from '../../lib/protocol';
import net from 'node:net';
import { startRelay } from '../../devnet/relay';

const KEY = '0x' + '11'.repeat(32);
const N = BigInt('0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');

describe('devnet relay: Go JSON', () => {
  it('reports syntax errors in Go encoding/json words', () => {
    const cases: [string, string][] = [
      ['', 'unexpected end of JSON input'],
      ['hello', "invalid character 'h' looking for beginning of value"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
      ['[1 2]', "invalid character '2' after array element"],
      ['{1:2}', "invalid character '1' looking for beginning of object key string"],
      ['"a\u0001"', "invalid character '\\x01' in string literal"],
      ['"\\q"', "invalid character 'q' in string escape code"],
      ['trux', "invalid character 'x' in literal true (expecting 'e')"],
      ['01', "invalid character '1' after top-level value"],
      ['1.x', "invalid character 'x' after decimal point in numeric literal"],
      ['{"a":', 'unexpected end of JSON input'],
    ];
    for (const [text, message] of cases) assert.throws(() => parseGoJson(text), { message }, JSON.stringify(text));
  });

  it('keeps numbers as their text, so uint64 ids survive', () => {
    const doc = parseGoJson('{"task_id":18446744073709551615,"t":-1.5e3}') as Record<string, JsonNumber>;
    assert.deepEqual([doc.task_id.raw, doc.t.raw], ['18446744073709551615', '-1.5e3']);
  });

  it('decodes escapes like Go: pairs join, a lone surrogate becomes U+FFFD', () => {
    assert.equal(parseGoJson('"\\ud83c\\udf89 \\u00e9\\n"'), '🎉 é\n');
    assert.equal(parseGoJson('"\\ud800x"'), '\uFFFDx');
    assert.equal(parseGoJson('"\\ud800\\u0041"'), '\uFFFDA');
    assert.equal(parseGoJson('"\\udc00"'), '\uFFFD');
  });

  it('a body decoder stops after the first value; json.Unmarshal does not', () => {
    assert.deepEqual(parseGoJson('{} x', { allowTrailing: true }), Object.create(null));
    assert.throws(() => parseGoJson('{} x'), { message: "invalid character 'x' after top-level value" });
  });

  it('writes like gin: key order kept, bigints bare, HTML characters escaped', () => {
    assert.equal(goJson({ b: 1n << 64n, a: '<a&b>\u2028', c: null, d: [true, 0], e: undefined }), '{"b":18446744073709551616,"a":"\\u003ca\\u0026b\\u003e\\u2028","c":null,"d":[true,0]}');
  });
});

describe('devnet relay: signature verification (SPEC §5.5)', () => {
  const ts = 1_720_000_000;
  const fields = { task_id: 42n };
  const sig = signRelayFields(KEY, fields, ts).signature;

  it('accepts |now − ts| ≤ 60 and rejects 61 either way as "invalid"', () => {
    for (const now of [ts - 60, ts, ts + 60]) assert.equal(verifyRelaySignature(fields, BigInt(ts), sig, now).ok, true, String(now));
    for (const now of [ts - 61, ts + 61]) assert.deepEqual(verifyRelaySignature(fields, BigInt(ts), sig, now).ok, false);
    assert.equal((verifyRelaySignature(fields, BigInt(ts), sig, ts + 61) as { kind: string }).kind, 'invalid');
  });

  it('drops the first two characters unchecked', () => {
    assert.equal(verifyRelaySignature(fields, BigInt(ts), `zz${sig.slice(2)}`, ts).ok, true);
  });

  it('decode and recovery problems are errors (C answers 500); high-S is a plain failure', () => {
    const v = parseInt(sig.slice(130), 16);
    const s = BigInt(`0x${sig.slice(66, 130)}`);
    const highS = `0x${sig.slice(2, 66)}${(N - s).toString(16).padStart(64, '0')}0${v ^ 1}`;
    const kinds: [string, string, string][] = [
      [`${sig.slice(0, 130)}1b`, 'error', 'invalid signature recovery id'],
      [`${sig.slice(0, 130)}02`, 'error', 'invalid signature recovery id'],
      [sig.slice(0, 128), 'error', 'invalid signature length'],
      [`0x${'g'.repeat(130)}`, 'error', "encoding/hex: invalid byte: U+0067 'g'"],
      [sig.slice(0, 129), 'error', 'encoding/hex: odd length hex string'],
      [highS, 'invalid', 'high-S signature rejected by verification'],
    ];
    for (const [bad, kind, reason] of kinds) assert.deepEqual(verifyRelaySignature(fields, BigInt(ts), bad, ts), { ok: false, kind, reason }, bad);
  });

  it('a stale timestamp wins over a bad length (the window is checked before recovery)', () => {
    assert.equal((verifyRelaySignature(fields, BigInt(ts), sig.slice(0, 128), ts + 100) as { kind: string }).kind, 'invalid');
  });

  it('Go hex decoding: invalid bytes inside pairs before the odd-length error', () => {
    assert.equal(goHexDecodeError('abcd'), null);
    assert.equal(goHexDecodeError('abz'), "encoding/hex: invalid byte: U+007A 'z'");
    assert.equal(goHexDecodeError('xbc'), "encoding/hex: invalid byte: U+0078 'x'");
  });
});

describe('devnet image hash', () => {
  function png(width: number, height: number, pixel: (x: number, y: number) => number): Buffer {
    const p = new PNG({ width, height });
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        p.data.fill(pixel(x, y), i, i + 3);
        p.data[i + 3] = 255;
      }
    }
    return PNG.sync.write(p);
  }

  it('sets one bit per grid cell brighter than the mean, first cell in the top bit', () => {
    const leftWhite = png(16, 16, (x) => (x < 8 ? 255 : 0));
    assert.equal(imageHash(leftWhite).toString('hex'), 'f0'.repeat(8));
    const topWhite = png(40, 24, (_x, y) => (y < 3 ? 255 : 0));
    assert.equal(imageHash(topWhite).toString('hex'), 'ff' + '00'.repeat(7));
    assert.equal(imageHash(leftWhite).length, IMAGE_HASH_BYTES);
  });

  it('works on images smaller than the grid and refuses non-PNG bytes', () => {
    assert.equal(imageHash(png(2, 1, (x) => (x === 0 ? 200 : 10))).toString('hex'), 'f0'.repeat(8));
    assert.throws(() => imageHash(Buffer.from('GIF89a')), { message: 'png: invalid format: not a PNG file' });
  });

  it('hammingDistance counts differing bits', () => {
    assert.equal(hammingDistance(Buffer.from('f0f0', 'hex'), Buffer.from('0ff0', 'hex')), 8);
    assert.throws(() => hammingDistance(Buffer.alloc(1), Buffer.alloc(2)));
  });
});

describe('devnet relay: its port', () => {
  it('a port in use fails at once, saying what to do', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await assert.rejects(startRelay({ rpcUrl: 'http://127.0.0.1:1', taskAddress: `0x${'11'.repeat(20)}`, port }), {
        message: `relay: port ${port} is in use: stop the other devnet or pass --relay-port 0 (a free port)`,
      });
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
