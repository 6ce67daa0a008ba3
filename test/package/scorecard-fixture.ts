/**
 * A small, valid node pack written to a temp folder for the scorecard's negative tests: one
 * config node and one flow node, registered inside an IIFE like ours. Each test changes one
 * thing and expects exactly the matching checks to fail.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface FixturePackage {
  pkg: Record<string, any>;
  /** Relative path → content; `null` deletes a file of the base fixture. */
  files: Record<string, string | null>;
}

export function editorHtml(type: string, definition: string, opts: { scriptType?: string; before?: string } = {}): string {
  return [
    `<script type="${opts.scriptType ?? 'text/javascript'}">`,
    '(function () {',
    `    ${opts.before ?? ''}`,
    `    RED.nodes.registerType('${type}', ${definition});`,
    '})();',
    '</script>',
    `<script type="text/html" data-template-name="${type}"><div class="form-row"></div></script>`,
  ].join('\n');
}

export const FLOW_NODE_DEF = `{
        category: 'fixture',
        color: '#C7B8F5',
        defaults: { name: { value: "" }, conf: { value: "", type: "fx-conf" } },
        inputs: 1,
        outputs: 2,
        icon: "fx-node.svg",
        label: function () { return this.name || "fx"; }
    }`;

export const CONFIG_NODE_DEF = `{
        category: 'config',
        defaults: { name: { value: "" } },
        credentials: { key: { type: "password" } },
        label: function () { return this.name || "conf"; }
    }`;

const jsNode = (type: string) => `module.exports = function (RED) { RED.nodes.registerType('${type}', function (c) { RED.nodes.createNode(this, c); }); };\n`;

export function baseFixture(): FixturePackage {
  return {
    pkg: {
      name: '@fixture/node-red-fixture',
      version: '1.0.0',
      license: 'MIT',
      keywords: ['node-red', 'fixture'],
      repository: { type: 'git', url: 'git+https://example.invalid/fixture/node-red-fixture.git' },
      bugs: { url: 'https://example.invalid/fixture/node-red-fixture/issues' },
      engines: { node: '>=20' },
      'node-red': { version: '>=4.0.0', nodes: { 'fx-conf': 'nodes/fx-conf.js', 'fx-node': 'nodes/fx-node.js' } },
      dependencies: { one: '1.0.0' },
    },
    files: {
      LICENSE: 'MIT licence text\n',
      'README.md': '# fixture\n',
      'nodes/fx-conf.js': jsNode('fx-conf'),
      'nodes/fx-conf.html': editorHtml('fx-conf', CONFIG_NODE_DEF),
      'nodes/fx-node.js': jsNode('fx-node'),
      'nodes/fx-node.html': editorHtml('fx-node', FLOW_NODE_DEF),
      'nodes/icons/fx-node.svg': '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 60"/>\n',
      'nodes/locales/en-US/fx-conf.json': '{"fx-conf":{}}\n',
      'nodes/locales/en-US/fx-conf.html': '<script type="text/html" data-help-name="fx-conf"><p>c</p></script>\n',
      'nodes/locales/en-US/fx-node.json': '{"fx-node":{}}\n',
      'nodes/locales/en-US/fx-node.html': '<script type="text/html" data-help-name="fx-node"><p>n</p></script>\n',
      'examples/basic.json': JSON.stringify([{ id: 'a', type: 'tab' }, { id: 'b', type: 'fx-node', conf: 'c' }, { id: 'c', type: 'fx-conf' }]),
    },
  };
}

/** Writes base + change into a fresh temp folder and returns it. */
export function writeFixture(change: (f: FixturePackage) => void = () => undefined): string {
  const fixture = baseFixture();
  change(fixture);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-scorecard-'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(fixture.pkg, null, 2));
  for (const [rel, content] of Object.entries(fixture.files)) {
    if (content === null) continue;
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}
