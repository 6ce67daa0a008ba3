/**
 * JSON the way the Go relay reads and writes it.
 *
 * Reading: numbers stay as their source text (task ids are uint64, beyond 2^53: SPEC §8
 * item 17), `\uD8xx` escapes without a partner become U+FFFD like Go's decoder (vector S21),
 * and syntax errors carry Go's `encoding/json` wording, because the relay echoes them
 * (`invalid character …`, SPEC §4.3 A.4).
 *
 * Writing: gin's `c.JSON` escapes `<`, `>`, `&`, U+2028/2029 (goJsonString), keeps object
 * key order and writes bigints as bare numbers.
 */
import { goJsonString } from '../../lib/protocol';

/** A JSON number kept as its source text. */
export class JsonNumber {
  constructor(readonly raw: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | { [key: string]: JsonValue };

export class GoJsonSyntaxError extends Error {}

/** Go's quoteChar: `'x'`, with strconv.Quote escapes for non-printables. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return `'"'`;
  const code = c.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) {
    const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };
    return `'${named[code] ?? `\\x${code.toString(16).padStart(2, '0')}`}'`;
  }
  return `'${c}'`;
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  fail(context: string): never {
    if (this.i >= this.s.length) throw new GoJsonSyntaxError('unexpected end of JSON input');
    const cp = this.s.codePointAt(this.i) ?? 0;
    throw new GoJsonSyntaxError(`invalid character ${quoteChar(String.fromCodePoint(cp))} ${context}`);
  }

  ws(): void {
    while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i])) this.i++;
  }

  literal(word: string): void {
    for (let k = 1; k < word.length; k++) {
      this.i++;
      if (this.s[this.i] !== word[k]) this.fail(`in literal ${word} (expecting ${quoteChar(word[k])})`);
    }
    this.i++;
  }

  value(): JsonValue {
    this.ws();
    const c = this.s[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === 't') return this.literal('true'), true;
    if (c === 'f') return this.literal('false'), false;
    if (c === 'n') return this.literal('null'), null;
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    return this.fail('looking for beginning of value');
  }

  object(): JsonValue {
    const out: { [key: string]: JsonValue } = Object.create(null);
    this.i++;
    this.ws();
    if (this.s[this.i] === '}') return this.i++, out;
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') this.fail('looking for beginning of object key string');
      const key = this.string();
      this.ws();
      if (this.s[this.i] !== ':') this.fail('after object key');
      this.i++;
      out[key] = this.value();
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      if (this.s[this.i] === '}') return this.i++, out;
      this.fail('after object key:value pair');
    }
  }

  array(): JsonValue {
    const out: JsonValue[] = [];
    this.i++;
    this.ws();
    if (this.s[this.i] === ']') return this.i++, out;
    for (;;) {
      out.push(this.value());
      this.ws();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      if (this.s[this.i] === ']') return this.i++, out;
      this.fail('after array element');
    }
  }

  hex4(): number {
    const h = this.s.slice(this.i, this.i + 4);
    for (let k = 0; k < 4; k++) {
      if (!/[0-9a-fA-F]/.test(this.s[this.i] ?? '')) this.fail('in \\u hexadecimal character escape');
      this.i++;
    }
    return parseInt(h, 16);
  }

  string(): string {
    this.i++;
    let out = '';
    for (;;) {
      if (this.i >= this.s.length) this.fail('');
      const c = this.s[this.i];
      if (c === '"') return this.i++, out;
      if (c < ' ') this.fail('in string literal');
      if (c !== '\\') {
        out += c;
        this.i++;
        continue;
      }
      this.i++;
      const e = this.s[this.i];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && e in simple) {
        out += simple[e];
        this.i++;
        continue;
      }
      if (e !== 'u') this.fail('in string escape code');
      this.i++;
      const unit = this.hex4();
      if (unit >= 0xd800 && unit < 0xdc00 && this.s.startsWith('\\u', this.i)) {
        const save = this.i;
        this.i += 2;
        const low = this.hex4();
        if (low >= 0xdc00 && low < 0xe000) {
          out += String.fromCharCode(unit, low);
          continue;
        }
        this.i = save; // not a pair: the high half alone becomes U+FFFD, the next escape stands on its own
      }
      out += unit >= 0xd800 && unit < 0xe000 ? '\uFFFD' : String.fromCharCode(unit);
    }
  }

  number(): JsonNumber {
    const start = this.i;
    if (this.s[this.i] === '-') this.i++;
    const digit = () => this.s[this.i] >= '0' && this.s[this.i] <= '9';
    if (this.s[this.i] === '0') this.i++;
    else if (digit()) while (digit()) this.i++;
    else this.fail('in numeric literal');
    if (this.s[this.i] === '.') {
      this.i++;
      if (!digit()) this.fail('after decimal point in numeric literal');
      while (digit()) this.i++;
    }
    if (this.s[this.i] === 'e' || this.s[this.i] === 'E') {
      this.i++;
      if (this.s[this.i] === '+' || this.s[this.i] === '-') this.i++;
      if (!digit()) this.fail('in exponent of numeric literal');
      while (digit()) this.i++;
    }
    return new JsonNumber(this.s.slice(start, this.i));
  }

  /** `trailing`: false = json.Unmarshal (nothing may follow), true = json.Decoder (gin's body binding). */
  document(trailing: boolean): JsonValue {
    const v = this.value();
    this.ws();
    if (!trailing && this.i < this.s.length) this.fail('after top-level value');
    return v;
  }
}

/** Parses JSON with Go's error texts; throws GoJsonSyntaxError. */
export function parseGoJson(text: string, opts: { allowTrailing?: boolean } = {}): JsonValue {
  return new Parser(text).document(opts.allowTrailing ?? false);
}

/** Go's description of a JSON value's kind in UnmarshalTypeError ("number 1.5", "string", …). */
export function goJsonKind(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (v instanceof JsonNumber) return `number ${v.raw}`;
  return Array.isArray(v) ? 'array' : 'object';
}

/** Values the relay writes: plain data, bigints as bare numbers, Go-escaped strings. */
export type OutValue = null | boolean | number | bigint | string | OutValue[] | { [key: string]: OutValue | undefined };

/** Serialises like Go's json.Marshal with HTML escaping (gin's c.JSON); undefined members are skipped. */
export function goJson(v: OutValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString(10);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError('goJson: non-finite number');
    return String(v);
  }
  if (typeof v === 'string') return goJsonString(v);
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  const parts: string[] = [];
  for (const [k, val] of Object.entries(v)) if (val !== undefined) parts.push(`${goJsonString(k)}:${goJson(val)}`);
  return `{${parts.join(',')}}`;
}
