/**
 * The packed tarball, installed with npm into a fresh Node-RED user directory, loads in a real
 * Node-RED runtime: every node type enabled without error, icons, editor definitions, help,
 * message catalogs and examples served; the examples deploy against a devnet; and nothing in
 * the log about our nodes. Runs on the Node-RED under test (4 by default; 5 under
 * scripts/test-node-red-5.sh, on Node 24).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDemoFlows, readExamples } from '../../demo/flows';
import { startDevnet, type Devnet } from '../../devnet';
import { complaintsAbout, nodeRedVersion, startNodeRed, type NodeRedRuntime } from '../helpers/node-red';
import { iconOf, npm, NODE_TYPES, packSource, packTarball, PKG } from './package-helpers';

interface NodeSet {
  id: string;
  module: string;
  types: string[];
  enabled: boolean;
  err?: string;
}

describe(`packed tarball installed into Node-RED ${nodeRedVersion()}`, function () {
  this.timeout(180_000);
  let tmp: string;
  let installed: string;
  let runtime: NodeRedRuntime | undefined;
  let devnet: Devnet | undefined;

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-install-'));
    const src = packSource();
    let tarball: string;
    try {
      tarball = await packTarball(src.dir, tmp);
    } finally {
      src.cleanup();
    }
    const userDir = path.join(tmp, 'user');
    fs.mkdirSync(userDir);
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-user-dir', private: true }));
    const starting = startDevnet().then((d) => (devnet = d));
    await npm(['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], userDir);
    installed = path.join(userDir, 'node_modules', ...PKG.name.split('/'));
    // Persistent context as the README recommends (await-result keeps pending tasks there).
    const contextStorage = { default: { module: 'localfilesystem' }, memory: { module: 'memory' } };
    [runtime] = await Promise.all([startNodeRed({ userDir, settings: { contextStorage } }), starting]);
  });

  after(async () => {
    await runtime?.stop();
    await devnet?.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const get = async (route: string, accept = 'application/json') => {
    const res = await fetch(new URL(route, runtime!.url), { headers: { Accept: accept, 'Node-RED-API-Version': 'v2' } });
    assert.equal(res.status, 200, `GET ${route}`);
    return res;
  };

  it('lists all seven node types, enabled and without error', async () => {
    const sets = ((await (await get('nodes')).json()) as NodeSet[]).filter((s) => s.module === PKG.name);
    const problems = sets.filter((s) => !s.enabled || s.err).map((s) => `${s.id}: enabled=${s.enabled} err=${s.err}`);
    assert.deepEqual(problems, []);
    assert.deepEqual(sets.flatMap((s) => s.types).sort(), [...NODE_TYPES].sort());
  });

  it('serves each node icon from the installed pack (not the fallback icon)', async () => {
    const listed = ((await (await get('icons')).json()) as Record<string, string[]>)[PKG.name] ?? [];
    for (const type of NODE_TYPES.filter((t) => t !== 'crynux-config')) {
      const icon = iconOf(type, path.join(installed, path.dirname(PKG['node-red'].nodes[type])));
      assert.ok(listed.includes(icon), `${icon} listed under ${PKG.name}`);
      const res = await get(`icons/${PKG.name}/${icon}`, '*/*');
      const file = path.join(installed, path.dirname(PKG['node-red'].nodes[type]), 'icons', icon);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), fs.readFileSync(file), `${icon} body`);
    }
  });

  it('serves every editor definition and its help', async () => {
    const html = await (await get('nodes', 'text/html')).text();
    for (const type of NODE_TYPES) {
      assert.ok(html.includes(`RED.nodes.registerType('${type}'`), `editor definition of ${type}`);
      assert.match(html, new RegExp(`data-help-name=["']${type}["']`), `help of ${type}`);
    }
  });

  it('serves the en-US message catalog of every node', async () => {
    for (const type of NODE_TYPES) {
      const catalog = (await (await get(`locales/${PKG.name}/${type}?lng=en-US`)).json()) as Record<string, unknown>;
      assert.ok(catalog[type] && typeof catalog[type] === 'object', `catalog of ${type} has its "${type}" section`);
    }
  });

  it("offers the pack's examples in the import menu", async () => {
    const wanted = fs.readdirSync(path.join(installed, 'examples')).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
    assert.ok(wanted.length > 0, 'the installed pack has examples');
    const modules = (await (await get('library/examples/flows/')).json()) as string[];
    assert.ok(modules.includes(PKG.name), `${PKG.name} among the modules with examples: ${modules.join(', ')}`);
    const listed = JSON.stringify(await (await get(`library/examples/flows/${PKG.name}`)).json());
    for (const name of wanted) {
      assert.ok(listed.includes(JSON.stringify(name)), `example ${name} listed: ${listed}`);
      const flow = JSON.parse(await (await get(`library/examples/flows/${PKG.name}/${encodeURIComponent(name)}`)).text()) as unknown;
      assert.ok(Array.isArray(flow) && flow.length > 0, `example ${name} is a flow`);
    }
  });

  it('deploys every example against a devnet', async () => {
    const flows = buildDemoFlows(readExamples(path.join(installed, 'examples')), {
      rpcUrl: devnet!.rpcUrl,
      chainId: devnet!.chainId,
      taskAddress: devnet!.taskAddress,
      taskQueueAddress: devnet!.taskQueueAddress,
      relayUrl: devnet!.relayUrl,
      privateKey: devnet!.appPrivateKey,
    });
    const res = await fetch(new URL('flows', runtime!.url), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v2' },
      body: JSON.stringify({ flows }),
    });
    assert.equal(res.status, 200, await res.text());
    // The deploy answers before the flows finish starting; the runtime logs when they have.
    const started = () => runtime!.log().split('] Started flows').length - 1;
    for (const end = Date.now() + 30_000; started() < 2; ) {
      assert.ok(Date.now() < end && !/\[error\]/.test(runtime!.log()), `flows did not start:\n${runtime!.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const running = ((await (await get('flows')).json()) as { flows: Array<{ id: string; type: string }> }).flows;
    const ours = flows.filter((n) => n.type.startsWith('crynux-'));
    assert.deepEqual([...new Set(ours.map((n) => n.type))].sort(), [...NODE_TYPES].sort(), 'the examples use every node type');
    assert.deepEqual(ours.filter((n) => !running.some((r) => r.id === n.id && r.type === n.type)).map((n) => n.id), []);
    assert.doesNotMatch(runtime!.log(), /Waiting for missing types/);
  });

  it('prints no warning or error about our nodes while loading and deploying', () => {
    assert.deepEqual(complaintsAbout(runtime!.log(), ['crynux']), [], runtime!.log());
  });
});
