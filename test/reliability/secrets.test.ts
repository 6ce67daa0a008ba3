/**
 * Issue 6, item 8: the private key never leaks. A real Node-RED runtime (log level trace, with
 * metrics and audit) runs a full task and a set of failures with a fresh random key, debug
 * nodes on every output (sidebar, console and status, whole msg), and the admin endpoints are
 * called with the stored key, the raw key and broken variants of it. Then everything is
 * searched for the key: the runtime log, everything sent to the editor (debug msgs, node
 * status, notifications), the flow export, the admin answers, the files in the user
 * directory (flows, encrypted credentials, persisted context), the msgs and error texts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { startDevnet, rpcCall, type Devnet } from '../../devnet';
import { deadUrl } from '../devnet/client-helpers';
import { placed } from '../nodes/node-helpers';
import { CONFIG_ID, configNode, pipelineFlow, type Line } from './flows';
import { deploy, recordComms, startRuntime, type Runtime } from './runtime';
import { waitUntil } from './helpers';

/** Every place where `secret` (64 hex digits, no 0x) or any 16-digit piece of it appears in `text`. */
export function leaks(text: string, secret: string): string[] {
  const lower = text.toLowerCase();
  const s = secret.toLowerCase();
  const found: string[] = [];
  for (let i = 0; i + 16 <= s.length; i += 4) {
    const at = lower.indexOf(s.slice(i, i + 16));
    if (at >= 0) found.push(text.slice(Math.max(0, at - 60), at + 80));
  }
  return found;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.parentPath.includes('node_modules'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('reliability: the private key never leaks (issue 6 item 8)', function () {
  this.timeout(120_000);
  let devnet: Devnet;
  let runtime: Runtime | undefined;
  let userDir: string;

  before(async () => {
    devnet = await startDevnet({ workers: 3 });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crynux-secrets-'));
  });
  after(async () => {
    await runtime?.stop();
    await devnet?.stop();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('appears nowhere after a full run with failures, debug output and admin calls', async () => {
    const wallet = Wallet.createRandom();
    const key = wallet.privateKey;
    const secret = key.slice(2);
    await rpcCall(devnet.rpcUrl, 'anvil_setBalance', [wallet.address, `0x${(10n ** 21n).toString(16)}`]);
    const dead = await deadUrl();

    runtime = await startRuntime({
      userDir,
      settings: {
        contextStorage: { default: { module: 'localfilesystem', config: { flushInterval: 1 } } },
        logging: { console: { level: 'trace', metrics: true, audit: true } },
      },
    });
    const comms = await recordComms(runtime);

    // The pipeline, extra failure paths, and a debug node (sidebar + console + status, whole msg) on every output.
    const z = 'rel-tab';
    const nodes: Record<string, unknown>[] = [
      ...pipelineFlow(userDir, 'a quiet harbour'),
      configNode(devnet, key),
      configNode(devnet, `${key}zz`, 'sec-bad-key'),
      configNode(devnet, key, 'sec-wrong-chain', { chainId: '1' }),
      configNode({ ...devnet, rpcUrl: dead }, key, 'sec-dead-rpc'),
      { id: 'sec-empty', type: 'inject', z, props: [{ p: 'payload' }], payload: '', payloadType: 'str', wires: [['rel-build']] },
      { id: 'sec-rich', type: 'inject', z, props: [{ p: 'payload' }], payload: 'too expensive', payloadType: 'str', wires: [['sec-build']] },
      { id: 'sec-build', type: 'crynux-build-task', z, version: 1, taskType: 'gpt', gptModel: 'm/m', prompt: '', wires: [['sec-create-rich', 'sec-create-bad']] },
      { id: 'sec-create-rich', type: 'crynux-create-task', z, version: 1, crynux: CONFIG_ID, fee: '1000000', wires: [[]] },
      { id: 'sec-create-bad', type: 'crynux-create-task', z, version: 1, crynux: 'sec-bad-key', fee: '1', wires: [[]] },
      { id: 'sec-wallets', type: 'inject', z, props: [{ p: 'payload' }], payload: '', payloadType: 'date', wires: [['sec-wallet', 'sec-wallet-chain', 'sec-wallet-dead']] },
      { id: 'sec-wallet', type: 'crynux-wallet', z, version: 1, crynux: CONFIG_ID, interval: '', wires: [[], []] },
      { id: 'sec-wallet-chain', type: 'crynux-wallet', z, version: 1, crynux: 'sec-wrong-chain', interval: '', wires: [[], []] },
      { id: 'sec-wallet-dead', type: 'crynux-wallet', z, version: 1, crynux: 'sec-dead-rpc', interval: '', wires: [[], []] },
      {
        id: 'sec-bogus', type: 'inject', z, props: [{ p: 'crynux', v: '{"taskId":"99999","taskType":0,"status":"success","result":"0x0102030405060708"}', vt: 'json' }],
        wires: [['sec-await', 'sec-fetch']],
      },
      { id: 'sec-await', type: 'crynux-await-result', z, version: 1, crynux: CONFIG_ID, timeout: '2', cancelOnTimeout: false, wires: [[], ['rel-res-line']] },
      { id: 'sec-fetch', type: 'crynux-fetch-result', z, version: 1, crynux: CONFIG_ID, timeout: '2', output: 'array', wires: [[]] },
    ];
    let d = 0;
    for (const n of nodes.filter((x) => String(x.type).startsWith('crynux-') && Array.isArray(x.wires))) {
      n.wires = (n.wires as string[][]).map((w) => {
        const id = `sec-debug-${++d}`;
        nodes.push({ id, type: 'debug', z, active: true, tosidebar: true, console: true, tostatus: true, complete: 'true', targetType: 'full', statusVal: '', statusType: 'auto', wires: [] });
        return [...w, id];
      });
    }
    nodes.push({ id: 'sec-debug-errors', type: 'debug', z, active: true, tosidebar: true, console: true, tostatus: false, complete: 'true', targetType: 'full', wires: [] });
    (nodes.find((n) => n.id === 'rel-catch') as { wires: string[][] }).wires[0].push('sec-debug-errors');
    await deploy(runtime, placed(nodes));

    for (const id of ['rel-go', 'sec-empty', 'sec-rich', 'sec-wallets', 'sec-bogus']) await runtime.api('POST', `inject/${id}`);
    const read = (name: string): Line[] => {
      const f = path.join(userDir, `${name}.log`);
      return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line) : [];
    };
    await waitUntil('the task and every failure to finish', () => read('results').length >= 2 && read('errors').length >= 6, 90_000)
      .catch((err: Error) => {
        fs.writeFileSync("/tmp/h8-secrets.log", runtime!.log());
        throw new Error(`${err.message}: ${JSON.stringify({ results: read("results"), errors: read("errors") })}`);
      });
    const results = read('results');
    assert.ok(results.some((r) => r.status === 'success' && r.files === 1), `a full run happened: ${JSON.stringify(results)}`);
    const errors = read('errors').map((e) => e.error ?? '');
    for (const re of [/prompt is empty/i, /Not enough CNX/, /private key must be 64/i, /chain/i, /TIMEOUT|within|gave up/i]) {
      assert.ok(errors.some((e) => re.test(e)), `an error matching ${re} happened: ${JSON.stringify(errors)}`);
    }

    // Admin endpoints, with the stored key, the raw key and broken variants.
    const settings = { rpcUrls: devnet.rpcUrl, chainId: String(devnet.chainId), taskAddress: devnet.taskAddress, relayUrl: devnet.relayUrl, lowBalance: '1' };
    const answers = await Promise.all([
      runtime.raw('GET', 'flows'),
      runtime.raw('GET', `credentials/crynux-config/${CONFIG_ID}`),
      runtime.raw('GET', `crynux-config/${CONFIG_ID}/wallet`),
      runtime.raw('GET', 'crynux-config/sec-bad-key/wallet'),
      runtime.raw('GET', 'crynux-config/sec-wrong-chain/wallet'),
      runtime.raw('POST', 'crynux-config/wallet', { ...settings, id: CONFIG_ID, privateKey: '__PWRD__' }),
      runtime.raw('POST', 'crynux-config/wallet', { ...settings, privateKey: key }),
      runtime.raw('POST', 'crynux-config/wallet', { ...settings, privateKey: secret.toUpperCase() }),
      runtime.raw('POST', 'crynux-config/wallet', { ...settings, privateKey: `${key}zz` }),
      runtime.raw('POST', 'crynux-config/wallet', { ...settings, privateKey: key.slice(0, 50) }),
      runtime.raw('POST', 'crynux-config/wallet', { ...settings, rpcUrls: dead, privateKey: key }),
      runtime.raw('POST', 'crynux-config/wallet', { ...settings, chainId: '1', privateKey: key }),
      // The key pasted into the wrong field of the dialog as well: the error must not repeat it.
      runtime.raw('POST', 'crynux-config/wallet', { ...settings, taskAddress: key, privateKey: key }),
      runtime.raw('GET', `context/node/${CONFIG_ID}`),
      runtime.raw('GET', 'context/node/rel-await'),
      runtime.raw('GET', 'context/global'),
      runtime.raw('GET', `context/flow/${z}`),
      runtime.raw('GET', 'nodes'),
      runtime.raw('GET', 'settings'),
    ]);
    assert.equal(answers[2].status, 200);
    assert.match(answers[2].text, new RegExp(wallet.address.slice(2), 'i'), 'the wallet endpoint answered with the address');
    await new Promise((r) => setTimeout(r, 1500)); // the context store flushes every second; comms batches every 50 ms
    comms.close();

    // Flushed to disk by a graceful stop, then every file of the user directory is searched too.
    await runtime.stop();
    const places: Array<[string, string]> = [
      ['runtime log', runtime.log()],
      ['editor comms (debug, status, notifications)', comms.frames.join('\n')],
      ...answers.map((a, i): [string, string] => [`admin answer #${i}`, a.text]),
      ...filesUnder(userDir).map((f): [string, string] => [path.relative(userDir, f), fs.readFileSync(f, 'latin1')]),
    ];
    assert.ok(comms.messages().some((m) => m.topic === 'debug'), 'debug msgs were recorded');
    assert.ok(comms.messages().some((m) => m.topic.startsWith('status/')), 'node status was recorded');
    assert.ok(places.some(([name]) => name === 'flows_cred.json'), 'the credentials file exists (encrypted)');
    assert.match(runtime.log(), /\[trace\]/, 'the log ran at trace level');
    // One finding per place is enough to read.
    const found = places.flatMap(([name, text]) => leaks(text, secret).slice(0, 1).map((l) => `${name}: …${l}…`));
    assert.deepEqual(found, [], 'the private key (or a 16-digit piece of it) appeared');
  });
});
