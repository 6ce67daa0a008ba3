/**
 * Flows for the real-runtime reliability tests: the whole pipeline (build → create → upload
 * → await → fetch) with a file line written after each stage and for each error, so a test
 * can read what the flow did across runtime restarts.
 */
import path from 'node:path';
import { configNode as testConfigNode, placed, type ConfigTarget } from '../nodes/node-helpers';

export const CONFIG_ID = 'rel-cfg';

/**
 * The tests' config node for a real runtime: POST /flows takes the key in the node's
 * `credentials`, as the editor sends it; the runtime stores it encrypted, apart from the flow.
 */
export function configNode(net: ConfigTarget, privateKey: string, id = CONFIG_ID, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...testConfigNode(net, { id, ...extra }), credentials: { privateKey } };
}

/** A function node that turns the msg into one JSON line for a file node. */
function lineOf(id: string, stage: string, next: string, z: string): Record<string, unknown> {
  const func = [
    'const c = msg.crynux || {};',
    `msg.payload = JSON.stringify({ stage: ${JSON.stringify(stage)}, msgid: msg._msgid, topic: msg.topic, custom: msg.custom,`,
    '  taskId: c.taskId, txHash: c.txHash, status: c.status, abortReason: c.abortReason,',
    '  files: Array.isArray(msg.payload) ? msg.payload.length : undefined,',
    '  error: msg.error ? msg.error.message : undefined });',
    'return msg;',
  ].join('\n');
  return { id, type: 'function', z, name: stage, func, outputs: 1, wires: [[next]] };
}

function fileNode(id: string, filename: string, z: string): Record<string, unknown> {
  return { id, type: 'file', z, name: '', filename, filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', wires: [[]] };
}

/**
 * The pipeline on tab `rel-tab`, started by inject node `rel-go` (POST /inject/rel-go).
 * Lines go to `<dir>/{built,uploaded,results,errors}.log`.
 */
export function pipelineFlow(dir: string, prompt: string): Record<string, unknown>[] {
  const z = 'rel-tab';
  return placed([
    { id: z, type: 'tab', label: 'reliability', disabled: false, info: '' },
    {
      id: 'rel-go', type: 'inject', z, name: 'go', repeat: '', crontab: '', once: false, onceDelay: 0.1, topic: 'restart-test',
      props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }, { p: 'custom', v: '{"order":42,"tags":["a","b"],"nested":{"x":null}}', vt: 'json' }],
      payload: prompt, payloadType: 'str', wires: [['rel-build']],
    },
    {
      id: 'rel-build', type: 'crynux-build-task', z, version: 1, taskType: 'sd', model: 'sd15', prompt: '', numImages: '1',
      width: '64', height: '64', wires: [['rel-create', 'rel-built-line']],
    },
    lineOf('rel-built-line', 'built', 'rel-built-file', z),
    fileNode('rel-built-file', path.join(dir, 'built.log'), z),
    { id: 'rel-create', type: 'crynux-create-task', z, version: 1, crynux: CONFIG_ID, fee: '0.001', feePerCap: false, wires: [['rel-upload']] },
    { id: 'rel-upload', type: 'crynux-upload-params', z, version: 1, crynux: CONFIG_ID, timeout: '60', wires: [['rel-await', 'rel-up-line']] },
    lineOf('rel-up-line', 'uploaded', 'rel-up-file', z),
    fileNode('rel-up-file', path.join(dir, 'uploaded.log'), z),
    { id: 'rel-await', type: 'crynux-await-result', z, version: 1, crynux: CONFIG_ID, timeout: '300', cancelOnTimeout: false, store: '', wires: [['rel-fetch'], ['rel-res-line']] },
    { id: 'rel-fetch', type: 'crynux-fetch-result', z, version: 1, crynux: CONFIG_ID, timeout: '60', output: 'array', parallel: '4', maxSize: '', preview: false, previewSize: '128', wires: [['rel-res-line']] },
    lineOf('rel-res-line', 'result', 'rel-res-file', z),
    fileNode('rel-res-file', path.join(dir, 'results.log'), z),
    { id: 'rel-catch', type: 'catch', z, name: '', scope: null, uncaught: false, wires: [['rel-err-line']] },
    lineOf('rel-err-line', 'error', 'rel-err-file', z),
    fileNode('rel-err-file', path.join(dir, 'errors.log'), z),
  ]);
}

export interface Line {
  stage: string;
  msgid: string;
  topic?: string;
  custom?: unknown;
  taskId?: string;
  txHash?: string;
  status?: string;
  abortReason?: string;
  files?: number;
  error?: string;
}
