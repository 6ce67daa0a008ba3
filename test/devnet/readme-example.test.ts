/**
 * The README's "Using the library directly" example, run as written against a devnet, so
 * the documentation cannot drift from the API. Only the URLs change (the devnet's ports are
 * free ones here, 8545/8080 for `npm run devnet`) and the package import points at lib/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { startDevnet, type Devnet } from '../../devnet';
import { REPO_ROOT } from '../helpers/shared';

function readmeClientExample(): string {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const m = /\*\*Client\*\*[^\n]*\n+```ts\n([\s\S]*?)\n```/.exec(readme);
  if (!m) throw new Error('README.md has no ```ts block after "**Client**"');
  return m[1];
}

describe('README library example', function () {
  this.timeout(60_000);
  let devnet: Devnet;
  before(async () => {
    devnet = await startDevnet({ workers: 3 });
  });
  after(async () => devnet?.stop());

  it('type-checks and runs to two PNG images on the devnet', async () => {
    const source = readmeClientExample();
    assert.ok(source.includes("from '@crynux-red/node-red-crynux'"), 'imports the package by name');
    const libIndex = path.resolve(__dirname, '..', '..', 'lib', 'index.js');
    const patched = source
      .replace("'@crynux-red/node-red-crynux'", JSON.stringify(libIndex))
      .replace('http://127.0.0.1:8545', devnet.rpcUrl)
      .replace('http://127.0.0.1:8080', devnet.relayUrl);
    assert.equal(devnet.taskAddress, '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0', 'the example names the devnet Task address');

    // Type-check it against the lib sources, as a user's strict TypeScript project would.
    // Inside the repo's node_modules so module resolution finds ethers as a user's project would.
    const cache = path.join(REPO_ROOT, 'node_modules', '.cache');
    fs.mkdirSync(cache, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(cache, 'crynux-readme-'));
    try {
      const file = path.join(tmp, 'example.ts');
      fs.writeFileSync(file, `export {};\n${source.replace("'@crynux-red/node-red-crynux'", JSON.stringify(path.join(REPO_ROOT, 'lib', 'index')))}`);
      const program = ts.createProgram([file], {
        strict: true, noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler, esModuleInterop: true, resolveJsonModule: true, types: ['node'],
        typeRoots: [path.join(REPO_ROOT, 'node_modules', '@types')],
      });
      const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      assert.deepEqual(problems, []);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }

    const js = ts.transpileModule(`export {};\n${patched}`, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const lines: string[] = [];
    const fakeConsole = { log: (...a: unknown[]) => lines.push(a.join(' ')) };
    // Top-level await: run the body inside an async function with the module's require.
    const body = js.replace(/^"use strict";/, '');
    const run = new Function('exports', 'require', 'process', 'console', `return (async () => {${body}\n})();`) as (
      e: object,
      r: NodeJS.Require,
      p: { env: Record<string, string> },
      c: typeof fakeConsole,
    ) => Promise<void>;
    await run({}, require, { env: { CRYNUX_KEY: devnet.appPrivateKey } }, fakeConsole);
    assert.deepEqual(lines, ['2 PNG images']);
  });
});
