import assert from 'node:assert/strict';
import fs from 'node:fs';
import { REPO_ROOT } from '../helpers/shared';
import { DIST, NODE_TYPES, PKG, scorecard, type ScorecardResult } from './package-helpers';
import { CONFIG_NODE_DEF, editorHtml, FLOW_NODE_DEF, writeFixture, type FixturePackage } from './scorecard-fixture';

const failedIds = (results: ScorecardResult[]) => results.filter((r) => !r.ok).map((r) => r.id).sort();
const explain = (results: ScorecardResult[]) =>
  results.filter((r) => !r.ok).map((r) => `${r.id} ${r.title} (${r.detail})`).join('\n');

describe('offline scorecard', () => {
  describe('this pack', () => {
    const results = scorecard.runScorecard(REPO_ROOT, { dist: DIST });

    it('passes every check', () => {
      assert.deepEqual(failedIds(results), [], explain(results));
    });

    it('runs the package checks and the per-node checks for all seven nodes', () => {
      assert.deepEqual(Object.keys(PKG['node-red'].nodes).sort(), [...NODE_TYPES].sort());
      const ids = new Set(results.map((r) => r.id));
      for (const id of ['P01', 'P03', 'P04', 'P05', 'P06', 'P07', 'D01', 'N02', 'N02a', 'X01']) assert.ok(ids.has(id), id);
      for (const type of NODE_TYPES) {
        for (const c of ['J01', 'H01', 'H02', 'H03', 'X02']) assert.ok(ids.has(`${c}:${type}`), `${c}:${type}`);
        if (type !== 'crynux-config') assert.ok(ids.has(`I01:${type}`), `I01:${type}`);
      }
    });
  });

  describe('a fixture pack', () => {
    const dirs: string[] = [];
    after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
    const failuresOf = (change?: (f: FixturePackage) => void) => {
      const dir = writeFixture(change);
      dirs.push(dir);
      return scorecard.runScorecard(dir);
    };
    const setHtml = (html: string) => (f: FixturePackage) => {
      f.files['nodes/fx-node.html'] = html;
    };
    const flowDef = (from: string | RegExp, to: string) => setHtml(editorHtml('fx-node', FLOW_NODE_DEF.replace(from, to)));

    it('passes every check as written (registration inside an IIFE)', () => {
      const results = failuresOf();
      assert.deepEqual(failedIds(results), [], explain(results));
    });

    const cases: Array<[string, (f: FixturePackage) => void, string[]]> = [
      ['no licence', (f) => delete f.pkg.license, ['P01']],
      ['no repository', (f) => delete f.pkg.repository, ['P03']],
      ['a repository that is not a git URL', (f) => (f.pkg.repository = { type: 'git', url: 'somewhere' }), ['P03']],
      ['no bugs', (f) => delete f.pkg.bugs, ['P03']],
      ['an unscoped name', (f) => (f.pkg.name = 'node-red-contrib-fixture'), ['P04']],
      ['no node-red keyword', (f) => (f.pkg.keywords = ['fixture']), ['P05']],
      ['node-red.version excluding Node-RED 4', (f) => (f.pkg['node-red'].version = '>=5.0.0'), ['P06']],
      ['node-red.version excluding Node-RED 5', (f) => (f.pkg['node-red'].version = '^4.0.0'), ['P06']],
      ['no node-red.version', (f) => delete f.pkg['node-red'].version, ['P06']],
      ['engines.node excluding Node 22.9', (f) => (f.pkg.engines.node = '>=24'), ['P07']],
      ['no engines.node', (f) => delete f.pkg.engines, ['P07']],
      ['seven runtime dependencies', (f) => (f.pkg.dependencies = Object.fromEntries('abcdefg'.split('').map((n) => [n, '1.0.0']))), ['D01']],
      ['no README', (f) => (f.files['README.md'] = null), ['X01']],
      ['no registered nodes', (f) => (f.pkg['node-red'].nodes = {}), ['N00', 'N02']],
      ['a missing .js', (f) => (f.files['nodes/fx-node.js'] = null), ['J01:fx-node']],
      ['a missing .html', (f) => (f.files['nodes/fx-node.html'] = null), ['H01:fx-node', 'N02']],
      ['no text/javascript script', setHtml(editorHtml('fx-node', FLOW_NODE_DEF, { scriptType: 'text/html' })), ['H01:fx-node', 'H02:fx-node', 'N02']],
      ['a script tag node-red-dev does not select (spaces around =)', setHtml(editorHtml('fx-node', FLOW_NODE_DEF).replace('type="text/javascript"', 'type = "text/javascript"')), ['H01:fx-node', 'H02:fx-node', 'N02']],
      ['a script that does not compile', setHtml(editorHtml('fx-node', FLOW_NODE_DEF.replace('inputs: 1,', 'inputs: 1,,'))), ['H01:fx-node', 'H02:fx-node', 'N02']],
      ['TypeScript syntax in the editor script', setHtml(editorHtml('fx-node', FLOW_NODE_DEF, { before: 'var n: number = 1;' })), ['H01:fx-node', 'H02:fx-node', 'N02']],
      ['a type from a variable', setHtml(editorHtml('fx-node', FLOW_NODE_DEF).replace("registerType('fx-node'", 'registerType(TYPE')), ['H01:fx-node', 'H02:fx-node', 'N02']],
      ['a definition from a variable', setHtml(editorHtml('fx-node', 'DEF', { before: `var DEF = ${FLOW_NODE_DEF};` })), ['H01:fx-node', 'H02:fx-node', 'N02']],
      ['a registration for another type', setHtml(editorHtml('fx-other', FLOW_NODE_DEF)), ['H02:fx-node', 'N02']],
      ['a computed colour', flowDef("color: '#C7B8F5'", "color: '#C7' + 'B8F5'"), ['H03:fx-node']],
      ['a colour from a variable', flowDef("color: '#C7B8F5'", 'color: COLOR'), ['H03:fx-node']],
      ['a template-literal icon', flowDef('icon: "fx-node.svg"', 'icon: `fx-node.svg`'), ['H03:fx-node']],
      ['outputs from a function', flowDef('outputs: 2', 'outputs: (function () { return 2; })()'), ['H03:fx-node']],
      ['a negative-number input count', flowDef('inputs: 1', 'inputs: -1'), ['H03:fx-node']],
      ['no inputs', flowDef('inputs: 1,', ''), ['H03:fx-node']],
      ['a quoted category key (node-red-dev reads identifier keys only)', flowDef("category: 'fixture'", "'category': 'fixture'"), ['H03:fx-node']],
      ['defaults from a variable', flowDef(/defaults: \{[^\n]*\},/, 'defaults: DEFAULTS,'), ['H03:fx-node']],
      ['a spread in the definition', flowDef('inputs: 1,', 'inputs: 1, ...EXTRA,'), ['H03:fx-node']],
      [
        'a config node with a computed colour',
        (f) => (f.files['nodes/fx-conf.html'] = editorHtml('fx-conf', CONFIG_NODE_DEF.replace("category: 'config',", "category: 'config', color: C,"))),
        ['H03:fx-conf'],
      ],
      ['a missing message catalog', (f) => (f.files['nodes/locales/en-US/fx-node.json'] = null), ['X02:fx-node']],
      ['missing help', (f) => (f.files['nodes/locales/en-US/fx-conf.html'] = null), ['X02:fx-conf']],
      ['a missing icon', (f) => (f.files['nodes/icons/fx-node.svg'] = null), ['I01:fx-node']],
      [
        'an icon only in the package root icons/ (neither runtime nor flow library looks there)',
        (f) => {
          f.files['icons/fx-node.svg'] = f.files['nodes/icons/fx-node.svg'];
          f.files['nodes/icons/fx-node.svg'] = null;
        },
        ['I01:fx-node'],
      ],
      ['an icon type the runtime ignores', (f) => {
        f.files['nodes/icons/fx-node.bmp'] = 'BM';
        f.files['nodes/fx-node.html'] = editorHtml('fx-node', FLOW_NODE_DEF.replace('fx-node.svg', 'fx-node.bmp'));
      }, ['I01:fx-node']],
      ['a core icon that does not exist', flowDef('icon: "fx-node.svg"', 'icon: "node-red/no-such-icon.svg"'), ['I01:fx-node']],
      ['an example without the flow node', (f) => (f.files['examples/basic.json'] = JSON.stringify([{ id: 'c', type: 'fx-conf' }])), ['N02']],
      ['no examples', (f) => (f.files['examples/basic.json'] = null), ['N02', 'N02a']],
      ['a file in examples/ that is not a flow', (f) => (f.files['examples/notes.txt'] = 'see basic.json'), ['N02a']],
    ];
    for (const [what, change, expected] of cases) {
      it(`fails ${expected.join(', ')} for ${what}`, () => {
        assert.deepEqual(failedIds(failuresOf(change)), [...expected].sort());
      });
    }

    it('passes a core icon and a Font Awesome icon', () => {
      assert.deepEqual(failedIds(failuresOf(flowDef('icon: "fx-node.svg"', 'icon: "node-red/inject.svg"'))), []);
      assert.deepEqual(failedIds(failuresOf(flowDef('icon: "fx-node.svg"', 'icon: "font-awesome/fa-cube"'))), []);
    });

    it('finds an example that uses the node in a subfolder of examples/', () => {
      const results = failuresOf((f) => {
        f.files['examples/basic.json'] = JSON.stringify([{ id: 'c', type: 'fx-conf' }]);
        f.files['examples/more/uses-node.json'] = JSON.stringify([{ id: 'b', type: 'fx-node' }]);
      });
      assert.deepEqual(failedIds(results), [], explain(results));
    });
  });
});
