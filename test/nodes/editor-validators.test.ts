/**
 * How the editor calls our validators. Node-RED (4.x) reports a returned message as
 * "invalid" only for validators declared with two parameters `(value, opt)`; a
 * one-parameter validator's string is coerced to `true`, so the field is never flagged;
 * and plain `RED._(key)` looks in the editor's catalog, not the node set's, so the user
 * sees the key (both found by the browser tests). Runs each editor script with a stand-in RED.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { repoRoot } from './node-helpers';

type Validate = ((this: unknown, v: unknown, opt?: unknown) => unknown) & { length: number };
interface Spec {
  value?: unknown;
  validate?: Validate;
}
interface Definition {
  defaults: Record<string, Spec>;
  credentials?: Record<string, Spec>;
}

const TYPES = Object.keys((JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes);

function definitionOf(type: string): Definition {
  const html = fs.readFileSync(path.join(repoRoot(), 'nodes', `${type}.html`), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)?.[1];
  assert.ok(script, `${type}: editor script found`);
  const registered: Record<string, Definition> = {};
  const RED = { nodes: { registerType: (t: string, def: Definition) => (registered[t] = def) }, _: (key: string) => `i18n:${key}` };
  vm.runInNewContext(script, { RED, $: () => ({ val: () => undefined }) });
  assert.ok(registered[type], `${type}: registered`);
  return registered[type];
}

describe('editor validators (as Node-RED calls them)', () => {
  it('messages are looked up in the node set\'s namespace (plain RED._ keys stay untranslated in the editor)', () => {
    const plain = new Set<string>();
    for (const type of TYPES) {
      const def = definitionOf(type);
      for (const spec of Object.values({ ...def.defaults, ...def.credentials })) {
        // Values no field accepts, so each validator returns its message.
        for (const v of ['\u0000bad', '-1', '']) {
          const r = spec.validate?.call({ credentials: {} }, v, {});
          if (typeof r === 'string' && !r.startsWith(`i18n:@crynux-red/node-red-crynux/${type}:`)) plain.add(`${type}: ${r}`);
        }
      }
    }
    assert.deepEqual([...plain], []);
  });

  it('every validate function of every node takes (value, opt), so its message marks the field invalid', () => {
    const oneArg: string[] = [];
    for (const type of TYPES) {
      const def = definitionOf(type);
      for (const [field, spec] of Object.entries({ ...def.defaults, ...def.credentials })) {
        if (spec.validate && spec.validate.length !== 2) oneArg.push(`${type}.${field}`);
      }
    }
    assert.deepEqual(oneArg, [], 'validators Node-RED would treat as always valid when they return a message');
  });

  it('fetch-result: preview on by default; preview size 32–512 px, absent (older flows) or empty means the default', () => {
    const def = definitionOf('crynux-fetch-result');
    assert.equal(def.defaults.preview.value, true);
    const size = def.defaults.previewSize;
    assert.equal(size.value, '128');
    for (const ok of ['128', '32', '512', ' 96 ', '', undefined]) assert.equal(size.validate!(ok, {}), true, JSON.stringify(ok));
    for (const bad of ['31', '513', '-1', '1.5', 'big']) {
      assert.equal(size.validate!(bad, {}), 'i18n:@crynux-red/node-red-crynux/crynux-fetch-result:crynux-fetch-result.validation.previewSize', bad);
    }
  });
});
