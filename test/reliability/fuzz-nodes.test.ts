/**
 * Issue 6, item 7: property-based fuzzing of every node type with node-red-node-test-helper.
 * For each of the six msg-taking nodes, 1000 random msgs (anything at all, plus values
 * shaped like the real msg.crynux fields so many get past the first checks) and 100 random
 * settings; for crynux-config, 1000 random settings and keys. Every case must end in exactly
 * one done(): a done(err) whose error is a named Crynux error with a readable message, or a
 * done() after sending a complete msg. Never a crash, an unhandled rejection, a msg sent
 * together with an error, or a half-built msg. The network is a closed port on 127.0.0.1,
 * so chain steps fail fast without a devnet. Override the seed with CRYNUX_FUZZ_SEED.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keccak256, toUtf8Bytes, Wallet } from 'ethers';
import { deadUrl } from '../devnet/client-helpers';
import { configCredentials, configNode, helper, nodeModule, onTab } from '../nodes/node-helpers';
import { guardProcess } from './helpers';

const MSG_RUNS = 1000;
const SETTINGS_RUNS = 100;
const SEED = process.env.CRYNUX_FUZZ_SEED ? Number(process.env.CRYNUX_FUZZ_SEED) : undefined;
const TYPES = ['crynux-config', 'crynux-wallet', 'crynux-build-task', 'crynux-create-task', 'crynux-upload-params', 'crynux-await-result', 'crynux-fetch-result'];
const MODULES = TYPES.map(nodeModule);
const KEY = Wallet.createRandom().privateKey;
// Node-RED reads any setting equal to a node id as a reference to that node: ids no fuzzed string will hit.
const CFG_ID = 'fuzz-config-8e41c0d2';
const NODE_ID = 'fuzz-node-5a9b3f17';
const OUT_ID = 'fuzz-out-c3d27e90';

// ---- arbitraries ----

const anything = fc.anything({
  maxDepth: 3, maxKeys: 5, withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true,
  withNullPrototype: true, withObjectString: true, withSparseArray: true, withTypedArray: true,
});
const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => `0x${Buffer.from(b).toString('hex')}`);
const decimal = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 260n }).map(String), fc.constantFrom('0', '1', '7', '18446744073709551616'));
const num = fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.double(), fc.constantFrom(NaN, Infinity, -0, 1.5, 2 ** 53));
const str = fc.oneof(fc.string(), fc.constantFrom('', ' ', '0x', '{}', '[]', 'null', '\u2028', '<&>', 'a'.repeat(3000)));
/** Usually a valid value, sometimes a wrongly shaped one, sometimes anything at all. */
const field = <T>(valid: fc.Arbitrary<T>, wrong: fc.Arbitrary<unknown> = str) =>
  fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: wrong }, { weight: 1, arbitrary: anything });

const taskArgs = fc.constantFrom(
  '{"version":"2.0.0","base_model":{"name":"crynux-ai/stable-diffusion-v1-5","variant":"fp16"},"prompt":"x","negative_prompt":"","task_config":{"num_images":1,"steps":10,"cfg":7,"seed":1,"image_width":64,"image_height":64,"safety_checker":false},"scheduler":{"method":"EulerAncestralDiscreteScheduler","args":null}}',
  '{"model":"m/m","messages":[{"role":"user","content":"hi"}],"generation_config":{"max_new_tokens":4},"seed":1,"dtype":"auto","quantize_bits":null}',
);

/** msg.crynux as the steps read it: mostly valid fields, each sometimes wrong, sometimes missing. */
const crynuxShape = {
  taskType: field(fc.constantFrom(0, 1), fc.constantFrom(2, '0', -1, null)),
  taskArgs: field(taskArgs, fc.oneof(fc.json(), str, fc.object())),
  taskHash: field(hex(32), fc.oneof(hex(31), str)),
  vramLimit: field(fc.integer({ min: 1, max: 80 }), num),
  cap: field(fc.integer({ min: 1, max: 10 }), num),
  taskFee: field(fc.bigInt({ min: 0n, max: 10n ** 18n }).map(String), fc.oneof(decimal, num, str)),
  txHash: field(hex(32), str),
  blockNumber: field(fc.integer({ min: 0, max: 1_000_000 }), num),
  taskId: field(fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }).map(String), fc.oneof(decimal, num, str)),
  creator: field(hex(20), str),
  status: field(fc.constant('success'), fc.constantFrom('aborted', 'other')),
  result: field(fc.oneof(hex(8), hex(16), hex(32)), fc.oneof(fc.constant('0x'), hex(3), str)),
  attempt: field(fc.integer({ min: 0, max: 5 }), num),
};
const crynuxFields = fc.oneof(
  { weight: 3, arbitrary: fc.record(crynuxShape) },
  { weight: 1, arbitrary: fc.record(crynuxShape, { requiredKeys: [] }) },
);

const payload = fc.oneof(
  str,
  fc.record(
    {
      prompt: field(fc.string({ minLength: 1 }), str), negativePrompt: field(fc.string()), numImages: field(fc.integer({ min: 1, max: 4 }), num),
      width: field(fc.constantFrom(64, 128, 512), num), height: field(fc.constantFrom(64, 128, 512), num), steps: field(fc.integer({ min: 1, max: 50 }), num),
      cfg: field(fc.integer({ min: 1, max: 20 }), num), seed: field(fc.integer({ min: 0, max: 2 ** 31 }), num), model: field(fc.constantFrom('sd15', 'sdxl'), str),
      lora: anything, controlnet: anything,
      messages: field(fc.array(fc.record({ role: field(fc.constantFrom('user', 'system', 'assistant'), fc.constant('x')), content: field(fc.string()) }))),
      maxNewTokens: field(fc.integer({ min: 1, max: 512 }), num), temperature: field(fc.double({ min: 0, max: 2, noNaN: true }), num),
      vramLimit: field(fc.integer({ min: 1, max: 80 }), num),
    },
    { requiredKeys: [] },
  ),
  fc.array(anything, { maxLength: 3 }),
  anything,
);

const msgArb = fc.record(
  { payload, topic: field(str), crynux: fc.oneof({ weight: 4, arbitrary: crynuxFields }, { weight: 1, arbitrary: anything }), extra: anything },
  { requiredKeys: [] },
);

const settingValue = fc.oneof(str, num, fc.boolean(), fc.constant(undefined), fc.constant(null));
const SETTINGS: Record<string, Record<string, fc.Arbitrary<unknown>>> = {
  'crynux-wallet': { interval: fc.oneof(settingValue, fc.constantFrom('', '0', '30', '3600')) },
  'crynux-build-task': {
    taskType: fc.constantFrom('sd', 'gpt', 'other', ''), model: fc.oneof(fc.constantFrom('sd15', 'sdxl', 'custom', ''), str),
    customModel: settingValue, prompt: settingValue, negativePrompt: settingValue, numImages: settingValue, steps: settingValue,
    cfg: settingValue, seed: settingValue, width: settingValue, height: settingValue, scheduler: settingValue,
    safetyChecker: settingValue, lora: fc.oneof(settingValue, fc.json()), controlnet: fc.oneof(settingValue, fc.json()),
    gptModel: settingValue, systemPrompt: settingValue, maxNewTokens: settingValue, temperature: settingValue,
    topP: settingValue, topK: settingValue, vramLimit: settingValue,
  },
  'crynux-create-task': { fee: fc.oneof(settingValue, fc.constantFrom('0.1', '1e3', '-1', '0.0000000000000000001')), feePerCap: settingValue },
  'crynux-upload-params': { timeout: settingValue },
  'crynux-await-result': { timeout: settingValue, cancelOnTimeout: settingValue, store: settingValue },
  'crynux-fetch-result': {
    timeout: settingValue, output: fc.oneof(fc.constantFrom('array', 'parts'), settingValue), parallel: settingValue,
    maxSize: settingValue, preview: settingValue, previewSize: settingValue,
  },
};

// ---- checks ----

const ERROR_NAMES = /^(CrynuxError|TaskArgsError|ConfigError|ChainRevertError|ChainConnectionError|ChainRpcError|InsufficientFundsError|RelayRejectedError|TimeoutError|ResultIntegrityError|AbortedError)$/;

/** Why `err` is not a readable, named error; undefined when it is. */
function unreadable(err: unknown): string | undefined {
  if (!(err instanceof Error)) return `not an Error: ${String(err)}`;
  const m = err.message;
  if (typeof m !== 'string' || m.trim().length < 10) return `message too short: ${JSON.stringify(m)}`;
  if (m.length > 10_000) return `message too long (${m.length})`;
  if (/\[object Object\]|Cannot read propert|is not a function|is not iterable|Cannot convert|Do not know how to serialize|is not defined|Maximum call stack/i.test(m)) {
    return `internal error text: ${m}`;
  }
  if (/\n\s+at /.test(m)) return `stack trace in the message: ${m}`;
  if (!ERROR_NAMES.test(err.name) || typeof (err as { code?: unknown }).code !== 'string') return `not a named Crynux error: ${err.name}: ${m}`;
  return undefined;
}

/** What build-task sends must be complete for create-task. */
function builtProblem(msg: { crynux?: Record<string, unknown> }): string | undefined {
  const c = msg.crynux ?? {};
  if (c.taskType !== 0 && c.taskType !== 1) return `taskType ${String(c.taskType)}`;
  if (typeof c.taskArgs !== 'string' || !c.taskArgs) return 'no taskArgs';
  if (c.taskHash !== keccak256(toUtf8Bytes(c.taskArgs))) return 'taskHash is not keccak256(taskArgs)';
  if (!Number.isSafeInteger(c.vramLimit) || (c.vramLimit as number) < 1) return `vramLimit ${String(c.vramLimit)}`;
  if (!Number.isSafeInteger(c.cap) || (c.cap as number) < 1) return `cap ${String(c.cap)}`;
  return undefined;
}

interface CaseResult {
  errors: unknown[];
  completions: number;
  sent: Array<{ crynux?: Record<string, unknown> }>;
}

describe('reliability: fuzzing every node with random msgs and settings (issue 6 item 7)', function () {
  this.timeout(300_000);
  let dead: string;
  let guard: ReturnType<typeof guardProcess>;
  let caseNo = 0;

  before(async () => {
    dead = await deadUrl();
    await helper.startServer();
  });
  after(async () => {
    await helper.stopServer();
  });
  beforeEach(() => {
    guard = guardProcess();
  });
  afterEach(async () => {
    await helper.unload();
    assert.deepEqual(guard.stop(), [], 'no unhandled rejection or uncaught exception');
  });

  // The usual config node, pointed at the closed port.
  const config = () =>
    configNode({ rpcUrl: dead, chainId: 10000, taskAddress: '0x5FbDB2315678afecb367f032d93F642f64180aa3', taskQueueAddress: '', relayUrl: dead }, { id: CFG_ID });

  /** Loads `type` with `settings`, wired to one helper per output; returns a runner of one msg. */
  async function loadNode(type: string, settings: Record<string, unknown>) {
    const outputs = type === 'crynux-await-result' || type === 'crynux-wallet' ? 2 : 1;
    const wires = Array.from({ length: outputs }, (_, i) => [`${OUT_ID}-${i}`]);
    await helper.load(MODULES, onTab([
      config(),
      { id: NODE_ID, type, version: 1, crynux: CFG_ID, ...settings, wires },
      ...wires.map(([id]) => ({ id, type: 'helper' })),
    ]), configCredentials(KEY, CFG_ID));
    const node = helper.getNode(NODE_ID);
    assert.ok(node, `${type} was not created with settings ${JSON.stringify(settings)}`);
    const pending = new Map<string, CaseResult>();
    const resultOf = (msg: { _msgid?: unknown }) => pending.get(String(msg?._msgid));
    node.on('call:error', (call: { args: unknown[] }) => resultOf(call.args[1] as { _msgid?: unknown })?.errors.push(call.args[0]));
    for (const [id] of wires) helper.getNode(id).on('input', (m: { _msgid?: unknown }) => resultOf(m)?.sent.push(m as CaseResult['sent'][number]));

    // done() with or without an error: Node-RED's onComplete hook sees every one.
    return async function runOne(msg: Record<string, unknown>): Promise<CaseResult> {
      const id = `fuzz-${++caseNo}`;
      const r: CaseResult = { errors: [], completions: 0, sent: [] };
      pending.set(id, r);
      const finished = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${type}: done() was not called within 10 s`)), 10_000);
        completions.set(id, () => {
          r.completions++;
          clearTimeout(timer);
          resolve();
        });
      });
      node.receive({ ...msg, _msgid: id });
      await finished;
      // Anything sent or reported after done() would show up here.
      await new Promise((res) => setImmediate(res));
      await new Promise((res) => setTimeout(res, 0));
      pending.delete(id);
      completions.delete(id);
      return r;
    };
  }

  const completions = new Map<string, () => void>();
  before(() => {
    helper._RED.hooks.add('onComplete.reliability', (ev: { msg: { _msgid?: unknown } }) => {
      completions.get(String(ev.msg?._msgid))?.();
    });
  });
  after(() => helper._RED.hooks.remove('onComplete.reliability'));

  /** How the cases of the running test ended: error code or 'sent'. */
  let tally = new Map<string, number>();
  const count = (k: string) => tally.set(k, (tally.get(k) ?? 0) + 1);
  beforeEach(() => {
    tally = new Map();
  });

  function check(type: string, r: CaseResult): void {
    assert.equal(r.completions, 1, 'done() exactly once');
    if (r.errors.length > 0) {
      count(String((r.errors[0] as { code?: unknown }).code));
      assert.equal(r.errors.length, 1, 'one error');
      const problem = unreadable(r.errors[0]);
      assert.equal(problem, undefined, problem);
      assert.equal(r.sent.length, 0, 'nothing is sent together with an error');
      return;
    }
    // Success is possible only where no network is needed.
    assert.equal(type, 'crynux-build-task', `${type} succeeded without a reachable network`);
    assert.equal(r.sent.length, 1, 'one msg sent');
    const problem = builtProblem(r.sent[0]);
    assert.equal(problem, undefined, `half-built msg: ${problem}`);
    count('sent');
  }

  /** The generators must reach both ends: refusals of the input, and work past validation. */
  function assertCoverage(type: string): void {
    const seen = Object.fromEntries(tally);
    if (type === 'crynux-build-task') assert.ok((seen.sent ?? 0) >= 20, `too few valid msgs built: ${JSON.stringify(seen)}`);
    else if (type !== 'crynux-wallet') assert.ok((seen.CHAIN_CONNECTION ?? 0) >= 20, `too few msgs got past validation: ${JSON.stringify(seen)}`);
    if (type !== 'crynux-wallet') assert.ok((seen.TASK_ARGS ?? 0) >= 100, `too few msgs refused: ${JSON.stringify(seen)}`);
  }

  const fcParams = (numRuns: number) => ({ numRuns, seed: SEED });

  for (const type of TYPES.filter((t) => t !== 'crynux-config')) {
    it(`${type}: ${MSG_RUNS} random msgs, each ends in one done(), with a readable error or a complete msg`, async () => {
      const runOne = await loadNode(type, type === 'crynux-build-task' ? { taskType: 'sd', model: 'sd15', prompt: 'a fox' } : {});
      await fc.assert(fc.asyncProperty(msgArb, async (msg) => check(type, await runOne(msg))), fcParams(MSG_RUNS));
      assertCoverage(type);
    });

    it(`${type}: ${SETTINGS_RUNS} random settings, each deploys without a crash and ends a msg in one done()`, async () => {
      const settingsArb = fc.record(SETTINGS[type], { requiredKeys: [] });
      await fc.assert(
        fc.asyncProperty(settingsArb, msgArb, async (settings, msg) => {
          await helper.unload();
          const runOne = await loadNode(type, settings as Record<string, unknown>);
          check(type, await runOne(msg));
        }),
        fcParams(SETTINGS_RUNS),
      );
    });
  }

  it(`crynux-config: ${MSG_RUNS} random settings and keys never crash, never echo the key, and are reported in plain words`, async () => {
    const urls = fc.oneof(fc.constantFrom(dead, `${dead} ${dead}`, 'ws://x', 'not a url', ''), str);
    const settingsArb = fc.record(
      {
        network: fc.constantFrom('devnet', 'custom', 'dymension', ''), rpcUrls: urls, chainId: settingValue, taskAddress: fc.oneof(hex(20), settingValue),
        taskQueueAddress: fc.oneof(hex(20), settingValue), relayUrl: urls, gasPriceMode: fc.constantFrom('auto', 'fixed', 'x'), gasPrice: settingValue,
        gasLimitMode: fc.constantFrom('fixed', 'estimate', 'x'), gasLimit: settingValue, confirmations: settingValue, pollInterval: settingValue,
        lowBalance: settingValue, store: settingValue,
      },
      { requiredKeys: [] },
    );
    const keyArb = fc.oneof(fc.constant(KEY), fc.constant(KEY.slice(2)), fc.constant(`${KEY}zz`), fc.constant(KEY.slice(0, 40)), hex(32), str, anything);
    const secret = KEY.slice(2).toLowerCase();
    await fc.assert(
      fc.asyncProperty(settingsArb, keyArb, async (settings, key) => {
        await helper.unload();
        await helper.load(MODULES, onTab([{ ...config(), ...settings, id: CFG_ID }]), { [CFG_ID]: { privateKey: key } });
        const cfg = helper.getNode(CFG_ID) as { problem?: Error; getClient(): Promise<unknown> };
        const problems: unknown[] = [];
        if (cfg.problem) problems.push(cfg.problem);
        await cfg.getClient().catch((err: unknown) => problems.push(err));
        assert.ok(problems.length > 0, 'a closed port can never give a started client');
        for (const p of problems) {
          const why = unreadable(p);
          assert.equal(why, undefined, why);
          assert.ok(!(p as Error).message.toLowerCase().includes(secret.slice(0, 16)), 'the key is not repeated');
        }
      }),
      fcParams(MSG_RUNS),
    );
  });
});
