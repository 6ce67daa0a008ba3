/**
 * examples/gpt-chat.json on a devnet: the question becomes a GPT task and the reply text
 * reaches the debug node.
 */
import assert from 'node:assert/strict';
import { waitUntil } from '../nodes/node-helpers';
import { clickInject, deploy, errorsOf, importForDevnet, useDevnet } from './example-flows';

describe('example: GPT chat (devnet)', function () {
  this.timeout(60_000);
  const devnet = useDevnet();

  it('the reply text reaches the debug node', async () => {
    const ex = importForDevnet('gpt-chat.json', devnet());
    await deploy(ex);
    clickInject(ex, 'question');
    await waitUntil(() => ex.seen.reply.length === 1 || errorsOf(ex).length > 0, 50_000, 'reply');
    assert.deepEqual(errorsOf(ex), []);
    assert.equal(ex.seen.aborted.length, 0);
    const msg = ex.seen.reply[0];
    assert.equal(typeof msg.payload, 'string');
    assert.ok(msg.payload.length > 0);
    assert.equal(msg.payload, msg.crynux.response.choices[0].message.content);
    const args = JSON.parse(msg.crynux.taskArgs);
    assert.deepEqual(args.messages.map((m: { role: string }) => m.role), ['system', 'user']);
    assert.equal(args.messages[1].content, 'What is the capital of France?');
  });
});
