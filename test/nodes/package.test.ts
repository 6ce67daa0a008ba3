/**
 * The pack as Node-RED and the flow library see it: every type registered in package.json
 * with a built file, a literal registerType in each editor .html, a `version` default, an
 * icon that exists, help in the core nodes' style, and every i18n key the code uses present
 * in the en-US catalogs. Also: the editor's network presets equal the runtime's, and the
 * config node's admin endpoints sit behind RED.auth.needsPermission.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { NETWORK_PRESETS } from '../../nodes/crynux-config.options';
import { SD_PRESETS } from '../../lib/task-args';
import { DIST_NODES, nodeModule, repoRoot } from './node-helpers';

const ROOT = repoRoot();
const MINE = ['crynux-config', 'crynux-wallet', 'crynux-build-task', 'crynux-create-task', 'crynux-upload-params'];
const ALL = [...MINE, 'crynux-await-result', 'crynux-fetch-result'];
const read = (...p: string[]) => fs.readFileSync(path.join(ROOT, ...p), 'utf8');

function catalog(type: string): Record<string, any> {
  return JSON.parse(read('nodes', 'locales', 'en-US', `${type}.json`));
}

function has(obj: Record<string, any>, key: string): boolean {
  let cur: any = obj;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in cur)) return false;
    cur = cur[part];
  }
  return typeof cur === 'string' || Array.isArray(cur);
}

/** Keys a node file uses: literal `'<type>.x.y'` strings and `T + "x.y"` with T = "<type>.". */
function keysUsed(type: string, text: string): string[] {
  const keys = new Set<string>();
  const literal = new RegExp(`["'\\]](${type}\\.[A-Za-z0-9_.-]*[A-Za-z0-9_])["']`, 'g');
  for (const m of text.matchAll(literal)) keys.add(m[1]);
  for (const m of text.matchAll(/T \+ "([A-Za-z0-9_.-]+)"/g)) keys.add(`${type}.${m[1]}`);
  return [...keys];
}

describe('the node pack', () => {
  const pkg = JSON.parse(read('package.json'));

  it('registers all seven node types in package.json, each with a built file', () => {
    assert.deepEqual(Object.keys(pkg['node-red'].nodes).sort(), [...ALL].sort());
    for (const type of ALL) {
      assert.equal(pkg['node-red'].nodes[type], `dist/nodes/${type}.js`);
    }
    for (const type of MINE) assert.ok(fs.existsSync(path.join(DIST_NODES, `${type}.js`)), `${type}.js is built`);
  });

  it('uses the package name that the shared i18n namespace assumes', () => {
    assert.equal(pkg.name, '@crynux-red/node-red-crynux');
  });

  for (const type of MINE) {
    describe(type, () => {
      const html = read('nodes', `${type}.html`);
      // The node's own files: <type>.ts and helpers such as <type>.options.ts.
      const source = fs
        .readdirSync(path.join(ROOT, 'nodes'))
        .filter((f) => f.startsWith(`${type}.`) && f.endsWith('.ts'))
        .map((f) => read('nodes', f))
        .join('\n');
      const cat = catalog(type);

      it('has a literal registerType in its .html (the flow library parses it) and a version default', () => {
        assert.ok(html.includes(`RED.nodes.registerType('${type}', {`));
        assert.match(html, /version: \{ value: 1 \}/);
        assert.match(html, /paletteLabel:/);
        assert.ok(html.includes(`data-template-name="${type}"`));
        assert.ok(source.includes(`registerType('${type}'`), 'the runtime registers the same type');
        assert.ok(fs.existsSync(path.join(DIST_NODES, `${type}.html`)), 'the .html is copied next to the .js');
      });

      it('names an icon that exists (source and build)', function () {
        const icon = /icon: "([^"]+)"/.exec(html)?.[1];
        if (type === 'crynux-config') {
          assert.equal(icon, undefined, 'config nodes have no icon');
          return;
        }
        assert.ok(icon, 'an icon is set');
        assert.ok(fs.existsSync(path.join(ROOT, 'icons', icon)), `icons/${icon}`);
        assert.ok(fs.existsSync(path.join(DIST_NODES, 'icons', icon)), `dist/nodes/icons/${icon}`);
        assert.match(read('icons', icon), /^<svg[^>]*viewBox="0 0 40 60"/);
      });

      it('finds every i18n key it uses in locales/en-US', () => {
        const used = keysUsed(type, html + source);
        assert.ok(used.length >= 3, `found the keys the node uses (${used.length})`);
        const missing = used.filter((k) => !/\.(svg|read|write)$/.test(k) && !has(cat, k)); // icons and permissions are not keys
        assert.deepEqual(missing, []);
        assert.ok(has(cat, `${type}.paletteLabel`));
      });

      it('has help in the core nodes\' style', () => {
        const help = read('nodes', 'locales', 'en-US', `${type}.html`);
        assert.ok(help.includes(`data-help-name="${type}"`));
        assert.match(help, /<h3>Details<\/h3>/);
        assert.match(help, /<h3>References<\/h3>/);
        if (type !== 'crynux-config') {
          assert.match(help, /<h3>Inputs<\/h3>/);
          assert.match(help, /<h3>Outputs<\/h3>/);
        }
        assert.match(help, /<dl class="message-properties">/);
      });
    });
  }

  it('has a shared error label for every error code of the library', () => {
    const shared = catalog('crynux-config').shared;
    const codes = [...read('lib', 'errors.ts').matchAll(/super\('([A-Z_]+)'/g)].map((m) => m[1]);
    assert.ok(codes.length >= 8);
    for (const code of [...codes, 'UNKNOWN']) assert.equal(typeof shared.errors[code], 'string', code);
    assert.equal(typeof shared.status.done, 'string');
  });

  it('gives every network preset option a label', () => {
    const cat = catalog('crynux-config');
    for (const n of [...Object.keys(NETWORK_PRESETS), 'custom']) assert.ok(has(cat, `crynux-config.network.${n}`), n);
  });

  it('labels every SD model preset of the dialog (option, canvas label, runtime preset)', () => {
    const html = read('nodes', 'crynux-build-task.html');
    const select = /<select id="node-input-model"[\s\S]*?<\/select>/.exec(html)?.[0] ?? '';
    const values = [...select.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(values, [...Object.keys(SD_PRESETS), 'custom']);
    const cat = catalog('crynux-build-task');
    for (const v of values) assert.ok(has(cat, `crynux-build-task.model.${v}`), v);
    for (const v of Object.keys(SD_PRESETS)) assert.ok(has(cat, `crynux-build-task.modelShort.${v}`), v);
  });

  it('keeps the editor presets equal to the runtime presets (SPEC §1.3 values)', () => {
    const html = read('nodes', 'crynux-config.html');
    const literal = /var PRESETS = (\{[\s\S]*?\n {4}\});/.exec(html)?.[1];
    assert.ok(literal, 'PRESETS literal found');
    assert.deepEqual(JSON.parse(literal), NETWORK_PRESETS);
    assert.equal(NETWORK_PRESETS.testnet2024.taskAddress, '0x07E149A0e372C2F54Df6358d021d700703D222D1');
    assert.equal(NETWORK_PRESETS.testnet2024.chainId, '10000');
    assert.equal(NETWORK_PRESETS.devnet.rpcUrls, 'http://127.0.0.1:8545');
  });

  it('guards the config admin endpoints with RED.auth.needsPermission', () => {
    const routes: { method: string; path: string; guard: unknown }[] = [];
    const guards = new Map<unknown, string>();
    const fakeRED = {
      nodes: { registerType: () => undefined },
      auth: {
        needsPermission: (p: string) => {
          const g = () => undefined;
          guards.set(g, p);
          return g;
        },
      },
      httpAdmin: {
        get: (p: string, guard: unknown) => routes.push({ method: 'GET', path: p, guard }),
        post: (p: string, guard: unknown) => routes.push({ method: 'POST', path: p, guard }),
      },
      _: (k: string) => k,
    };
    nodeModule('crynux-config')(fakeRED);
    assert.deepEqual(
      routes.map((r) => [r.method, r.path, guards.get(r.guard)]),
      [
        ['GET', '/crynux-config/:id/wallet', 'crynux-config.read'],
        ['POST', '/crynux-config/wallet', 'crynux-config.write'],
      ],
    );
  });
});
