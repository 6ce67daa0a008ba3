/**
 * The editor definitions in each node's .html, evaluated with a stand-in RED: every field's
 * validator accepts what the runtime accepts and flags what it rejects (with a translated
 * message), and the defaults are valid as they come.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { repoRoot } from './node-helpers';

type Validate = (this: Record<string, unknown>, v: unknown) => boolean | string;
interface Definition {
  defaults: Record<string, { value: unknown; validate?: Validate; required?: boolean; type?: string }>;
  credentials?: Record<string, { type: string; validate?: Validate }>;
  paletteLabel: unknown;
  label: (this: Record<string, unknown>) => string;
}

/** Runs the editor script of `nodes/<type>.html` and returns what it registered. */
function definitionOf(type: string, dialog: Record<string, string> = {}): Definition {
  const html = fs.readFileSync(path.join(repoRoot(), 'nodes', `${type}.html`), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(script, 'editor script found');
  const registered: Record<string, Definition> = {};
  // `$("#node-input-x").val()` reads the open dialog; absent fields read as undefined.
  const $ = (sel: string) => ({ val: () => dialog[sel.replace(/^#node-(config-)?input-/, '')] });
  const RED = {
    nodes: { registerType: (t: string, def: Definition) => (registered[t] = def) },
    _: (key: string) => `i18n:${key}`,
  };
  vm.runInNewContext(script, { RED, $ });
  assert.ok(registered[type], `registerType('${type}') ran`);
  return registered[type];
}

function check(def: Definition, field: string, value: unknown, node: Record<string, unknown> = {}): boolean | string {
  const spec = def.defaults[field] ?? def.credentials?.[field];
  assert.ok(spec, `field ${field} exists`);
  return spec.validate ? spec.validate.call(node, value) : true;
}

function accepts(def: Definition, field: string, values: unknown[], node: Record<string, unknown> = {}) {
  for (const v of values) assert.equal(check(def, field, v, node), true, `${field} should accept ${JSON.stringify(v)}`);
}

function rejects(def: Definition, field: string, values: unknown[], node: Record<string, unknown> = {}) {
  for (const v of values) {
    const r = check(def, field, v, node);
    assert.ok(typeof r === 'string' && r.startsWith('i18n:'), `${field} should flag ${JSON.stringify(v)} with a message (got ${String(r)})`);
  }
}

function defaultsValid(def: Definition, except: string[] = []) {
  for (const [field, spec] of Object.entries(def.defaults)) {
    if (except.includes(field) || !spec.validate) continue;
    const node = Object.fromEntries(Object.entries(def.defaults).map(([k, s]) => [k, s.value]));
    assert.equal(spec.validate.call(node, spec.value), true, `default of ${field} is valid`);
  }
}

describe('editor definitions', () => {
  it('every node has version 1 in its defaults', () => {
    for (const type of ['crynux-config', 'crynux-wallet', 'crynux-build-task', 'crynux-create-task', 'crynux-upload-params']) {
      assert.equal(definitionOf(type).defaults.version.value, 1, type);
    }
  });

  describe('crynux-config', () => {
    const def = definitionOf('crynux-config');

    it('validates the private key shape (64 hex, optional 0x) and allows a stored key', () => {
      const hex = 'ab'.repeat(32);
      accepts(def, 'privateKey', [hex, `0x${hex}`, ` ${hex} `, '__PWRD__']);
      accepts(def, 'privateKey', [''], { credentials: { has_privateKey: true } });
      rejects(def, 'privateKey', ['', hex.slice(2), `${hex}00`, `0x${'zz'.repeat(32)}`], { credentials: {} });
    });

    it('validates URLs, chain id, addresses and numbers', () => {
      accepts(def, 'rpcUrls', ['http://127.0.0.1:8545', 'https://a.example\nhttps://b.example']);
      rejects(def, 'rpcUrls', ['', 'ftp://x', 'http://ok\nnot a url']);
      accepts(def, 'chainId', ['10000', '', ' 1 ']);
      rejects(def, 'chainId', ['0', '-1', 'abc', '1.5']);
      accepts(def, 'taskAddress', ['0x07E149A0e372C2F54Df6358d021d700703D222D1']);
      rejects(def, 'taskAddress', ['', '0x1234', 'task']);
      accepts(def, 'taskQueueAddress', ['', '0xeD4cbf24978AD18d73ee6190e361E71095E857A7']);
      rejects(def, 'taskQueueAddress', ['0xnope']);
      accepts(def, 'relayUrl', ['http://127.0.0.1:8080']);
      rejects(def, 'relayUrl', ['relay', '']);
      accepts(def, 'lowBalance', ['', '10', '0.5', '.5']);
      rejects(def, 'lowBalance', ['-1', 'ten', '1e3']);
      accepts(def, 'confirmations', ['0', '12']);
      rejects(def, 'confirmations', ['-1', 'x', '']);
      accepts(def, 'pollInterval', ['2', '0.5', '']);
      rejects(def, 'pollInterval', ['0', 'x']);
    });

    it('checks a fixed gas price/limit only when that mode is chosen', () => {
      accepts(def, 'gasPrice', ['', 'x'], { gasPriceMode: 'auto' });
      rejects(def, 'gasPrice', ['', '1.5'], { gasPriceMode: 'fixed' });
      accepts(def, 'gasPrice', ['10'], { gasPriceMode: 'fixed' });
      const open = definitionOf('crynux-config', { gasLimitMode: 'estimate' });
      accepts(open, 'gasLimit', ['anything'], { gasLimitMode: 'fixed' });
      rejects(def, 'gasLimit', ['lots', '21000', '199999'], { gasLimitMode: 'fixed' });
      accepts(def, 'gasLimit', ['200000', '5000000'], { gasLimitMode: 'fixed' });
    });

    it('has valid defaults apart from the fields the user must fill in', () => {
      defaultsValid(def, ['taskAddress']);
    });
  });

  describe('step nodes', () => {
    it('crynux-create-task: fee in CNX, never negative', () => {
      const def = definitionOf('crynux-create-task');
      accepts(def, 'fee', ['1', '0', '0.000000000000000001', '4.1']);
      rejects(def, 'fee', ['-1', '', 'one', '1,5', '0.0000000000000000001']);
      assert.equal(def.defaults.crynux.type, 'crynux-config');
      defaultsValid(def);
    });

    it('crynux-upload-params: timeout in seconds', () => {
      const def = definitionOf('crynux-upload-params');
      accepts(def, 'timeout', ['120', '0.5', '']);
      rejects(def, 'timeout', ['0', '-3', 'soon']);
      defaultsValid(def);
    });

    it('crynux-wallet: interval empty/0 or at least 5 s', () => {
      const def = definitionOf('crynux-wallet');
      accepts(def, 'interval', ['', '0', '5', '3600']);
      rejects(def, 'interval', ['1', 'hourly']);
      defaultsValid(def);
    });

    it('crynux-build-task: ranges, sizes, JSON and model ids', () => {
      const def = definitionOf('crynux-build-task');
      accepts(def, 'numImages', ['', '1', '10']);
      rejects(def, 'numImages', ['0', '11', '2.5', 'x']);
      accepts(def, 'steps', ['', '1', '100']);
      rejects(def, 'steps', ['0', '101']);
      accepts(def, 'cfg', ['', '0', '20']);
      rejects(def, 'cfg', ['21', '7.5']);
      accepts(def, 'seed', ['', '0', '2147483647']);
      rejects(def, 'seed', ['-1', '2147483648']);
      accepts(def, 'width', ['', '512', '768']);
      rejects(def, 'width', ['500', '0', '4096']);
      accepts(def, 'lora', ['', '{"model":"a/b","weight":80}']);
      rejects(def, 'lora', ['{nope', '[1]', 'null']);
      accepts(def, 'topP', ['', '0.9', '1']);
      rejects(def, 'topP', ['1.5', 'x']);
      accepts(def, 'customModel', ['someone/model'], { taskType: 'sd', model: 'custom' });
      rejects(def, 'customModel', ['', 'no-slash'], { taskType: 'sd', model: 'custom' });
      accepts(def, 'customModel', [''], { taskType: 'sd', model: 'sd15' });
      accepts(def, 'gptModel', [''], { taskType: 'sd' });
      rejects(def, 'gptModel', [''], { taskType: 'gpt' });
      accepts(def, 'gptModel', ['Qwen/Qwen2.5-7B-Instruct'], { taskType: 'gpt' });
      defaultsValid(def);
    });
  });
});
