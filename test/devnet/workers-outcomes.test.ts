/**
 * Simulated workers on a real devnet (anvil + contracts + stand-in relay): full SD and GPT
 * tasks, and every prompt marker's outcome (SPEC §7.5, devnet/README.md).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Interface } from 'ethers';
import { PNG } from 'pngjs';
import { startDevnet, type Devnet } from '../../devnet';
import { imageHash } from '../../devnet/image-hash';
import { rpc } from '../../devnet/relay/rpc';
import type { TaskEvent } from '../../lib/protocol';
import { TestApp, validation } from './devnet-helpers';

const TIMEOUT_S = 60;

function sdArgs(prompt: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    base_model: 'runwayml/stable-diffusion-v1-5',
    prompt,
    negative_prompt: '',
    task_config: { image_width: 128, image_height: 64, num_images: 2, steps: 1, cfg: 5, seed: 42, safety_checker: false, ...extra },
  });
}

function gptArgs(content: string): string {
  return JSON.stringify({
    model: 'gpt2',
    messages: [{ role: 'user', content }],
    generation_config: { max_new_tokens: 30, num_return_sequences: 2 },
    seed: 7,
  });
}

const nodeViews = new Interface(['function getAvailableNodes() view returns (address[])']);

describe('devnet workers: outcomes', function () {
  this.timeout(120_000);
  let devnet: Devnet;
  let app: TestApp;

  before(async () => {
    devnet = await startDevnet({ taskTimeoutSeconds: TIMEOUT_S });
    app = new TestApp(devnet.rpcUrl, devnet.relayUrl, devnet.taskAddress, devnet.appPrivateKey);
  });
  after(async () => devnet?.stop());

  /** All three workers are free again (slashed ones have rejoined). */
  async function nodesFree(): Promise<void> {
    const data = nodeViews.encodeFunctionData('getAvailableNodes', []);
    for (let i = 0; i < 300; i++) {
      const out = await rpc<string>(devnet.rpcUrl, 'eth_call', [{ to: devnet.nodeAddress, data }, 'latest']);
      if ((nodeViews.decodeFunctionResult('getAvailableNodes', out)[0] as string[]).length === 3) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('workers did not become available again');
  }
  afterEach(async () => nodesFree());

  async function run(taskType: number, args: string, cap: number): Promise<bigint> {
    const id = await app.createTask(taskType, args, { cap });
    const up = await app.uploadArgsWhenIndexed(id, args);
    assert.equal(up.status, 200, up.text);
    return id;
  }
  const names = (es: TaskEvent[]) => es.map((e) => e.name);

  it('runs an SD task to TaskResultUploaded; the relay serves PNGs of the requested size whose hashes are the result', async () => {
    const id = await run(0, sdArgs('a lighthouse at dusk'), 2);
    const done = await app.firstTerminal(id);
    assert.equal(done.name, 'TaskSuccess');
    await app.waitForEvent(id, (es) => es.find((e) => e.name === 'TaskResultUploaded'));
    const hashes: Buffer[] = [];
    for (const n of ['0', '1']) {
      const file = await app.download(id, n);
      assert.equal(file.status, 200);
      assert.equal(file.headers.get('content-type'), 'application/octet-stream');
      assert.equal(file.headers.get('content-disposition'), `attachment; filename=${n}.png`);
      const png = PNG.sync.read(file.bytes);
      assert.deepEqual([png.width, png.height], [128, 64]);
      hashes.push(imageHash(file.bytes));
    }
    assert.equal(done.name === 'TaskSuccess' && done.result, `0x${Buffer.concat(hashes).toString('hex')}`);
    assert.deepEqual((await app.download(id, '2')).json, validation('image_num', 'File not found'));
  });

  it('runs a GPT task; sha256 of the served file equals the on-chain result, in the Python json.dump format', async () => {
    const id = await run(1, gptArgs('Hello café <b> & "quotes" 🎉'), 1);
    const done = await app.firstTerminal(id);
    assert.equal(done.name, 'TaskSuccess');
    await app.waitForEvent(id, (es) => es.find((e) => e.name === 'TaskResultUploaded'));
    const file = await app.download(id, '0');
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-disposition'), 'attachment; filename=0.json');
    assert.equal(done.name === 'TaskSuccess' && done.result, `0x${createHash('sha256').update(file.bytes).digest('hex')}`);
    assert.match(file.text, /^\{"model": "gpt2", "choices": \[\{"finish_reason": "(stop|length)", "message": \{"role": "assistant", "content": "\\n\\n/);
    assert.ok(file.text.includes('caf\\u00e9') && file.text.includes('\\ud83c\\udf89'), 'non-ASCII is \\u-escaped');
    const reply = JSON.parse(file.text);
    assert.deepEqual(Object.keys(reply), ['model', 'choices', 'usage']);
    assert.equal(reply.choices.length, 2);
    assert.equal(reply.usage.total_tokens, reply.usage.prompt_tokens + reply.usage.completion_tokens);
  });

  it('[devnet:error]: two nodes report an error → "Task error reported"', async () => {
    const id = await run(0, sdArgs('boom [devnet:error]'), 2);
    const done = await app.firstTerminal(id);
    assert.deepEqual(done, { name: 'TaskAborted', taskId: id, reason: 'Task error reported' });
  });

  it('[devnet:illegal]: three different results → "Task result illegal"', async () => {
    const id = await run(0, sdArgs('three minds [devnet:illegal]'), 2);
    const done = await app.firstTerminal(id);
    assert.deepEqual(done, { name: 'TaskAborted', taskId: id, reason: 'Task result illegal' });
    const events = await app.waitForEvent(id, (es) => (es.filter((e) => e.name === 'TaskNodeCancelled').length === 3 ? es : undefined));
    assert.ok(!names(events).includes('TaskSuccess'));
  });

  it('[devnet:slash]: one node discloses a different result → success, and it is slashed', async () => {
    const id = await run(1, gptArgs('odd one out [devnet:slash]'), 1);
    assert.equal((await app.firstTerminal(id)).name, 'TaskSuccess');
    const events = await app.waitForEvent(id, (es) =>
      es.some((e) => e.name === 'TaskNodeSlashed') && es.some((e) => e.name === 'TaskResultUploaded') ? es : undefined,
    );
    assert.equal(events.filter((e) => e.name === 'TaskNodeSlashed').length, 1);
  });

  it('[devnet:stuck]: nodes stay silent; after the deadline the creator cancels → "Task Cancelled"', async () => {
    const id = await run(1, gptArgs('hello? [devnet:stuck]'), 1);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(names(await app.events(id)), ['TaskPending', 'TaskStarted', 'TaskStarted', 'TaskStarted']);
    await devnet.increaseTime(TIMEOUT_S + 1);
    await app.cancelTask(id);
    assert.deepEqual(await app.firstTerminal(id), { name: 'TaskAborted', taskId: id, reason: 'Task Cancelled' });
  });

  it('[devnet:no-upload]: success, but no upload; the relay keeps answering "Task results not uploaded"', async () => {
    const id = await run(0, sdArgs('shy [devnet:no-upload]'), 2);
    assert.equal((await app.firstTerminal(id)).name, 'TaskSuccess');
    await devnet.relay.syncNow();
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!names(await app.events(id)).includes('TaskResultUploaded'));
    assert.deepEqual((await app.download(id, '0')).json, validation('task_id', 'Task results not uploaded'));
    // The result node stays bound until the task is cancelled after its deadline (SPEC §3.8).
    await devnet.increaseTime(TIMEOUT_S + 1);
    await app.cancelTask(id);
    const es = await app.waitForEvent(id, (all) => (all.some((e) => e.name === 'TaskAborted') ? all : undefined));
    assert.deepEqual(names(es).filter((n) => n === 'TaskSuccess' || n === 'TaskAborted'), ['TaskSuccess', 'TaskAborted']);
  });

  it('[devnet:slow=<ms>] delays the commitments and still succeeds', async () => {
    const id = await run(1, gptArgs('take your time [devnet:slow=300]'), 1);
    assert.equal((await app.firstTerminal(id)).name, 'TaskSuccess');
    await app.waitForEvent(id, (es) => es.find((e) => e.name === 'TaskResultUploaded'));
  });

  it('arguments a node cannot run (too large an image) → every node reports an error', async () => {
    const id = await run(0, sdArgs('huge', { image_width: 2048, image_height: 2048, num_images: 1 }), 1);
    assert.deepEqual(await app.firstTerminal(id), { name: 'TaskAborted', taskId: id, reason: 'Task error reported' });
  });
});
