/**
 * crynux-build-task in the Node-RED runtime (node-red-node-test-helper): dialog + msg →
 * msg.crynux {taskType, taskArgs, taskHash, vramLimit, cap}; bad input → done(err) that
 * names the field, seen by a Catch node; status phases.
 */
import assert from 'node:assert/strict';
import { keccak256, toUtf8Bytes } from 'ethers';
import { catchFlow, completeFlow, helper, onTab, nextMessage, nodeModule, recordStatus, waitUntil } from './node-helpers';

const buildTask = nodeModule('crynux-build-task');

function flow(settings: Record<string, unknown>): object[] {
  return onTab([
    { id: 'b', type: 'crynux-build-task', name: '', version: 1, wires: [['out']], ...settings },
    { id: 'out', type: 'helper' },
    ...completeFlow('completer', 'completed', ['b']),
    ...catchFlow('catcher', 'caught', ['b']),
  ]);
}

async function load(settings: Record<string, unknown>) {
  await helper.load(buildTask, flow(settings));
  const node = helper.getNode('b');
  return { node, out: helper.getNode('out'), caught: helper.getNode('caught'), completed: helper.getNode('completed'), status: recordStatus(node) };
}

/** Sends msg, expects an error that reaches the Catch node exactly once and no output. */
async function expectError(settings: Record<string, unknown>, msg: object, ...words: string[]) {
  const { node, out, caught, completed, status } = await load(settings);
  const outputs: unknown[] = [];
  const completions: unknown[] = [];
  out.on('input', (m: unknown) => outputs.push(m));
  completed.on('input', (m: unknown) => completions.push(m));
  const got = nextMessage(caught);
  node.receive(msg);
  const err = (await got).error;
  for (const w of words) assert.ok(err.message.includes(w), `"${err.message}" should mention "${w}"`);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(outputs.length, 0);
  assert.equal(completions.length, 0, 'complete node must not fire when done(err) was called');
  const last = status[status.length - 1];
  assert.equal(last.fill, 'red');
  assert.equal(last.shape, 'ring');
  assert.ok(last.text?.includes('shared.errors.TASK_ARGS'), last.text);
  return err;
}

describe('crynux-build-task node', function () {
  before(() => helper.startServer());
  after(() => helper.stopServer());
  afterEach(() => helper.unload());

  it('builds SD args from the dialog with msg.payload as the prompt, and records the seed', async () => {
    const { node, out, completed, status } = await load({ taskType: 'sd', model: 'sd15', numImages: '2', steps: '', seed: '' });
    const got = nextMessage(out);
    const completes = nextMessage(completed);
    node.receive({ payload: 'a lighthouse at dusk' });
    const msg = await got;
    await completes;
    const c = msg.crynux;
    assert.equal(c.taskType, 0);
    assert.equal(c.taskHash, keccak256(toUtf8Bytes(c.taskArgs)));
    const args = JSON.parse(c.taskArgs);
    assert.equal(args.prompt, 'a lighthouse at dusk');
    assert.equal(args.base_model, 'runwayml/stable-diffusion-v1-5');
    assert.equal(args.task_config.num_images, 2);
    assert.equal(c.cap, 2);
    assert.equal(c.vramLimit, 8);
    assert.equal(typeof c.seed, 'number');
    assert.equal(c.seed, args.task_config.seed);
    assert.deepEqual(
      status.map((s) => [s.fill, s.shape, s.text]),
      [
        ['blue', 'dot', 'crynux-build-task.status.building'],
        ['green', 'dot', 'crynux-build-task.status.builtSd'],
      ],
    );
  });

  it('lets a msg.payload object override the dialog by option name', async () => {
    const { node, out } = await load({ taskType: 'sd', model: 'sdxl', prompt: 'from the dialog', seed: '7' });
    const got = nextMessage(out);
    node.receive({ payload: { numImages: 3, steps: 12, negativePrompt: 'blurry' } });
    const c = (await got).crynux;
    const args = JSON.parse(c.taskArgs);
    assert.equal(args.prompt, 'from the dialog');
    assert.equal(args.base_model, 'stabilityai/stable-diffusion-xl-base-1.0');
    assert.equal(args.negative_prompt, 'blurry');
    assert.deepEqual([args.task_config.num_images, args.task_config.steps, args.task_config.seed], [3, 12, 7]);
    assert.equal(c.cap, 3);
    assert.equal(c.vramLimit, 14);
  });

  it('takes any Hugging Face model id and the advanced JSON settings', async () => {
    const { node, out } = await load({
      taskType: 'sd',
      model: 'custom',
      customModel: 'someone/my-sd15-finetune',
      prompt: 'p',
      scheduler: 'LCMScheduler',
      lora: '{"model":"someone/lora","weight":80}',
      width: '768',
      height: '512',
    });
    const got = nextMessage(out);
    node.receive({ payload: 42 }); // not a prompt: the dialog's prompt stays
    const args = JSON.parse((await got).crynux.taskArgs);
    assert.equal(args.base_model, 'someone/my-sd15-finetune');
    assert.deepEqual(args.scheduler, { method: 'LCMScheduler', args: null });
    assert.deepEqual(args.lora, { model: 'someone/lora', weight: 80 });
    assert.deepEqual([args.task_config.image_width, args.task_config.image_height], [768, 512]);
  });

  it('builds GPT args: a string payload becomes the user message after the dialog system prompt', async () => {
    const { node, out } = await load({ taskType: 'gpt', gptModel: 'Qwen/Qwen2.5-7B-Instruct', systemPrompt: 'Be brief.', maxNewTokens: '64', seed: '3' });
    const got = nextMessage(out);
    node.receive({ payload: 'Why is the sky blue?' });
    const c = (await got).crynux;
    const args = JSON.parse(c.taskArgs);
    assert.deepEqual(args.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Why is the sky blue?' },
    ]);
    assert.equal(args.generation_config.max_new_tokens, 64);
    assert.deepEqual([c.taskType, c.cap, c.vramLimit, c.seed], [1, 1, 8, 3]);
  });

  it('takes a GPT conversation as an array in msg.payload', async () => {
    const { node, out } = await load({ taskType: 'gpt', gptModel: 'Qwen/Qwen2.5-7B-Instruct', systemPrompt: 'Be brief.' });
    const got = nextMessage(out);
    const convo = [
      { role: 'system', content: 'You are a pirate.' },
      { role: 'user', content: 'Hello' },
    ];
    node.receive({ payload: convo });
    const args = JSON.parse((await got).crynux.taskArgs);
    assert.deepEqual(args.messages, convo, 'a conversation with its own system message keeps it');
  });

  it('validates raw msg.crynux.taskArgs and completes the task fields', async () => {
    const { node, out } = await load({ taskType: 'sd' });
    const raw = {
      base_model: 'stabilityai/sdxl-turbo',
      prompt: 'raw',
      negative_prompt: '',
      task_config: { num_images: 4, steps: 1, cfg: 1, seed: 5, image_width: 512, image_height: 512, safety_checker: false },
    };
    const got = nextMessage(out);
    node.receive({ crynux: { taskArgs: JSON.stringify(raw) } });
    const c = (await got).crynux;
    assert.equal(c.taskArgs, JSON.stringify(raw), 'raw text is used byte for byte');
    assert.deepEqual([c.taskType, c.cap, c.vramLimit], [0, 4, 14]);
    assert.equal(c.taskHash, keccak256(toUtf8Bytes(c.taskArgs)));
  });

  it('clears fields of a previous run but keeps attempt', async () => {
    const { node, out } = await load({ taskType: 'sd', prompt: 'again' });
    const got = nextMessage(out);
    node.receive({ crynux: { taskId: '9', uploadedAt: 'x', status: 'aborted', attempt: 2 } });
    const c = (await got).crynux;
    assert.equal(c.taskId, undefined);
    assert.equal(c.uploadedAt, undefined);
    assert.equal(c.status, undefined);
    assert.equal(c.attempt, 2);
  });

  describe('errors reach a Catch node and name the field', () => {
    it('an empty prompt', () => expectError({ taskType: 'sd' }, { payload: '' }, 'prompt'));
    it('a bad number setting', () => expectError({ taskType: 'sd', prompt: 'p', steps: 'many' }, {}, '"steps"', 'number'));
    it('a value out of range', () => expectError({ taskType: 'sd', prompt: 'p', numImages: '11' }, {}, 'numImages'));
    it('bad JSON in LoRA', () => expectError({ taskType: 'sd', prompt: 'p', lora: '{nope' }, {}, '"lora"', 'JSON'));
    it('an unknown msg.payload option', () => expectError({ taskType: 'sd', prompt: 'p' }, { payload: { numImgs: 2 } }, 'numImgs'));
    it('a GPT task without a model', () => expectError({ taskType: 'gpt' }, { payload: 'hi' }, 'gptModel'));
    it('invalid raw taskArgs', () =>
      expectError({ taskType: 'sd' }, { crynux: { taskArgs: '{"prompt":"x"}' } }, 'msg.crynux.taskArgs', 'base_model'));
    it('a non-object msg.crynux', () => expectError({ taskType: 'sd', prompt: 'p' }, { crynux: 'x' }, 'msg.crynux'));
    it('msg.payload.messages is named as a msg field, not as a "Setting"', async () => {
      const err = await expectError({ taskType: 'gpt', gptModel: 'a/b' }, { payload: { messages: 'hi' } });
      assert.equal(err.message, 'TaskArgsError: msg.payload.messages must be a list of {role, content} objects');
    });
    it('msg.crynux.taskArgs is named as a msg field, not as a "Setting"', async () => {
      const err = await expectError({ taskType: 'sd' }, { crynux: { taskArgs: 42 } });
      assert.equal(err.message, 'TaskArgsError: msg.crynux.taskArgs must be the task arguments as a JSON string or an object');
    });
  });

  it('calls done exactly once per msg with many msgs in flight', async () => {
    const { node, out, completed } = await load({ taskType: 'sd', prompt: 'p' });
    let outs = 0;
    let completes = 0;
    out.on('input', () => outs++);
    completed.on('input', () => completes++);
    for (let i = 0; i < 20; i++) node.receive({ payload: `prompt ${i}` });
    await waitUntil(() => completes === 20 && outs === 20, 5000, '20 completions');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(completes, 20);
  });
});
