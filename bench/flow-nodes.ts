/**
 * The same flow through the Node-RED nodes: build-task → create-task → upload-params →
 * await-result → fetch-result, N msgs injected at once, in an in-process Node-RED 4 runtime
 * (node-red-node-test-helper). Items 4 and 6 at node level, and items 2 and 3 measured at
 * the nodes' output msgs.
 *
 * The helper wraps Node.prototype.send/status/log… in sinon spies for its tests; they are
 * removed after loading, so the figures are the runtime's and the nodes', not the helper's.
 */
import path from 'node:path';
import type { DevnetProcess } from './devnet-child';
import { summariseFlow, wallMs, type FlowOptions, type FlowResult, type TaskTiming } from './flow-common';
import { benchPrompt } from './flow-lib';
import { sleep } from './stats';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const TYPES = ['crynux-config', 'crynux-build-task', 'crynux-create-task', 'crynux-upload-params', 'crynux-await-result', 'crynux-fetch-result'];
const TIMEOUT_MS = 600_000;

let helperInstance: Any;
function nodeRedHelper(): Any {
  if (!helperInstance) {
    // The helper looks for a package.json from the working folder up when it is loaded: give it its own.
    const cwd = process.cwd();
    process.chdir(path.dirname(require.resolve('node-red-node-test-helper/package.json')));
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      helperInstance = require('node-red-node-test-helper');
    } finally {
      process.chdir(cwd);
    }
    helperInstance.init(require.resolve('node-red'));
  }
  return helperInstance;
}

function modules(): Array<(RED: unknown) => void> {
  const dir = path.resolve(__dirname, '..', 'nodes');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ours = TYPES.map((t) => require(path.join(dir, `${t}.js`)) as (RED: unknown) => void);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return [...ours, require(require.resolve('@node-red/nodes/core/common/25-catch.js')) as (RED: unknown) => void];
}

/** Flow nodes need x/y: without them Node-RED treats a node as a config node. */
function flow(info: DevnetProcess['info'], urls: { rpcUrl: string; relayUrl: string }, o: FlowOptions): object[] {
  const z = 'bench-tab';
  const feeCnx = (Number(o.feeWei) / 1e18).toString();
  const nodes: Array<Record<string, unknown>> = [
    { id: z, type: 'tab', label: 'bench' },
    {
      id: 'cfg', type: 'crynux-config', name: 'bench devnet', version: 1, network: 'custom', rpcUrls: urls.rpcUrl,
      chainId: String(info.chainId), taskAddress: info.taskAddress, taskQueueAddress: info.taskQueueAddress, relayUrl: urls.relayUrl,
      gasPriceMode: 'auto', gasPrice: '', gasLimitMode: 'fixed', gasLimit: '5000000', confirmations: '1',
      pollInterval: String(o.pollMs / 1000), lowBalance: '', store: '',
    },
    {
      id: 'build', z, type: 'crynux-build-task', version: 1, taskType: 'sd', model: 'sd15', customModel: '', prompt: '',
      negativePrompt: '', numImages: '1', steps: '', cfg: '', seed: '', width: '512', height: '512', scheduler: '',
      safetyChecker: false, lora: '', controlnet: '', gptModel: '', systemPrompt: '', maxNewTokens: '', temperature: '',
      topP: '', topK: '', vramLimit: '', wires: [['create']],
    },
    { id: 'create', z, type: 'crynux-create-task', version: 1, crynux: 'cfg', fee: feeCnx, feePerCap: false, wires: [['upload']] },
    { id: 'upload', z, type: 'crynux-upload-params', version: 1, crynux: 'cfg', timeout: '120', wires: [['await']] },
    {
      id: 'await', z, type: 'crynux-await-result', version: 1, crynux: 'cfg', timeout: String(TIMEOUT_MS / 1000),
      cancelOnTimeout: false, store: '', wires: [['fetch', 'awaited'], ['aborted']],
    },
    {
      id: 'fetch', z, type: 'crynux-fetch-result', version: 1, crynux: 'cfg', timeout: String(TIMEOUT_MS / 1000),
      output: 'array', parallel: '4', maxSize: '32', wires: [['fetched']],
    },
    { id: 'awaited', z, type: 'helper' },
    { id: 'aborted', z, type: 'helper' },
    { id: 'fetched', z, type: 'helper' },
    { id: 'errors', z, type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z, type: 'helper' },
  ];
  return nodes.map((n, i) => (n.z ? { ...n, x: 100 + 150 * i, y: 100 } : n));
}

export async function runNodesFlow(host: DevnetProcess, o: FlowOptions): Promise<FlowResult> {
  const helper = nodeRedHelper();
  const info = host.info;
  const urls = await host.startProxies();
  await helper.startServer();
  const warnings: string[] = [];
  const log = helper._log as { log: (o: { level: number; msg: unknown }) => void; WARN: number };
  const originalLog = log.log;
  try {
    await helper.load(modules(), flow(info, urls, o), { cfg: { privateKey: info.appPrivateKey } });
    helper._sandbox.restore(); // see the file comment
    log.log = function (this: unknown, entry) {
      if (entry && entry.level <= log.WARN) warnings.push(String(entry.msg));
      return originalLog.call(this, entry);
    };
    await helper.getNode('cfg').getClient();
    await host.counts(true);

    const timings: TaskTiming[] = Array.from({ length: o.tasks }, (_, index) => ({ index, start: 0 }));
    let settled = 0;
    const at = (msg: Any): TaskTiming | undefined => timings[msg?.benchIndex as number];
    helper.getNode('awaited').on('input', (msg: Any) => {
      const t = at(msg);
      if (!t) return;
      t.outcomeAt = wallMs();
      t.taskId = String(msg.crynux.taskId);
      t.blind = host.blindDownload(t.taskId, Number(msg.crynux.cap), o.blindEveryMs);
    });
    helper.getNode('fetched').on('input', (msg: Any) => {
      const t = at(msg);
      if (!t || t.fetchedAt !== undefined) return;
      t.fetchedAt = wallMs();
      t.files = Array.isArray(msg.payload) ? msg.payload.length : 1;
      settled++;
    });
    const fail = (msg: Any, why: string) => {
      const t = at(msg);
      if (!t || t.error) return;
      t.error = why;
      t.taskId ??= msg?.crynux?.taskId;
      settled++;
    };
    helper.getNode('aborted').on('input', (msg: Any) => fail(msg, `aborted: ${msg?.crynux?.abortReason}`));
    helper.getNode('caught').on('input', (msg: Any) => fail(msg, String(msg?.error?.message ?? 'error')));

    const cpu0 = process.cpuUsage();
    const t0 = wallMs();
    const build = helper.getNode('build');
    for (const t of timings) {
      t.start = wallMs();
      build.receive({ payload: benchPrompt(o.tag, t.index), benchIndex: t.index });
    }
    const deadline = Date.now() + TIMEOUT_MS;
    while (settled < timings.length && Date.now() < deadline) await sleep(50);
    for (const t of timings) if (t.fetchedAt === undefined && !t.error) t.error = 'no result msg before the bench timeout';
    return await summariseFlow('nodes', host, timings, { t0, cpu0, warnings });
  } finally {
    log.log = originalLog;
    await helper.unload();
    await helper.stopServer();
  }
}
