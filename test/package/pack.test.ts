import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/shared';
import { iconOf, NODE_TYPES, packContents, packSource, PKG, type PackEntry } from './package-helpers';

describe('npm pack contents', function () {
  this.timeout(120_000);
  let files: Set<string>;
  let entries: PackEntry[];
  let cleanup = () => undefined as void;
  let srcDir = REPO_ROOT;

  before(async () => {
    const src = packSource();
    cleanup = src.cleanup;
    srcDir = src.dir;
    entries = await packContents(src.dir);
    files = new Set(entries.map((e) => e.path.split(path.sep).join('/')));
  });
  after(() => cleanup());

  const missing = (wanted: string[]) => wanted.filter((f) => !files.has(f));

  it('holds every built node: .js, editor .html, en-US catalog and help, icon', () => {
    const wanted: string[] = [];
    for (const type of NODE_TYPES) {
      const js = PKG['node-red'].nodes[type];
      assert.ok(js, `package.json registers ${type}`);
      const dir = path.posix.dirname(js);
      const base = path.posix.basename(js, '.js');
      wanted.push(js, `${dir}/${base}.html`, `${dir}/locales/en-US/${base}.json`, `${dir}/locales/en-US/${base}.html`);
      if (type !== 'crynux-config') {
        const icon = iconOf(type);
        assert.ok(icon, `${type} names an icon`);
        wanted.push(`${dir}/icons/${icon}`);
      }
    }
    assert.deepEqual(missing(wanted), []);
  });

  it('holds the modules the nodes require (shared code, lib, schemas)', () => {
    // Every relative require in the built nodes must resolve inside the pack.
    const unresolved: string[] = [];
    const visit = (file: string, seen: Set<string>) => {
      if (seen.has(file)) return;
      seen.add(file);
      if (!files.has(file)) {
        unresolved.push(file);
        return;
      }
      if (!file.endsWith('.js')) return;
      for (const m of fs.readFileSync(path.join(srcDir, file), 'utf8').matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
        let target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]));
        if (!/\.(js|json)$/.test(target)) target = files.has(`${target}.js`) ? `${target}.js` : `${target}/index.js`;
        visit(target, seen);
      }
    };
    const seen = new Set<string>();
    for (const type of NODE_TYPES) visit(PKG['node-red'].nodes[type], seen);
    assert.deepEqual(unresolved, []);
    assert.ok(seen.size > NODE_TYPES.length, 'the nodes require shared modules');
  });

  it('holds the examples, the entry point, README, licence and changelog', () => {
    const examples = fs.readdirSync(path.join(REPO_ROOT, 'examples')).filter((f) => f.endsWith('.json'));
    assert.ok(examples.length > 0, 'examples/ has flows');
    assert.deepEqual(missing(['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', PKG.main, ...examples.map((f) => `examples/${f}`)]), []);
  });

  it('holds nothing from test/, the test build, compat/ or node_modules', () => {
    const stray = [...files].filter((f) => /^(test|dist\/test|compat|bench|node_modules|\.node-red-demo|\.devnet)\//.test(f) || f.includes('/node_modules/'));
    assert.deepEqual(stray, []);
  });
});
