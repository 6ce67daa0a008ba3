/**
 * crynux-fetch-result's message shaping without a runtime: the GPT reply file (SPEC §6.5)
 * and one msg per image with split-node `parts`.
 */
import assert from 'node:assert/strict';
import { gptReply, splitImages } from '../../nodes/crynux-fetch-result.output';

const clone = <T>(m: T): T => structuredClone(m);

describe('crynux-fetch-result output shaping', function () {
  it('GPT: the reply text is choices[0].message.content; the whole file is kept', () => {
    // The node's Python json.dump layout (SPEC §6.5), non-ASCII escaped.
    const file = Buffer.from(
      '{"model": "m", "choices": [{"finish_reason": "stop", "message": {"role": "assistant", "content": "\\n\\nParis \\u00e9"}, "index": 0}], ' +
        '"usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}',
    );
    const { text, response } = gptReply(file);
    assert.equal(text, '\n\nParis é');
    assert.equal((response as { usage: { total_tokens: number } }).usage.total_tokens, 5);
  });

  it('GPT: a file that is not JSON, or has no reply text, is a RESULT_INTEGRITY error', () => {
    assert.throws(() => gptReply(Buffer.from('<html>')), { code: 'RESULT_INTEGRITY', message: /not JSON/ });
    assert.throws(() => gptReply(Buffer.from('{"choices": []}')), { code: 'RESULT_INTEGRITY', message: /choices\[0\]\.message\.content/ });
    assert.throws(() => gptReply(undefined), { code: 'RESULT_INTEGRITY' });
  });

  it('one msg per image: parts {id, type:"array", index, count, len:1}, independent copies, no _msgid', () => {
    const files = [Buffer.from('a'), Buffer.from('b')];
    const msg = { _msgid: 'orig', payload: files, topic: 't', crynux: { taskId: '1' } };
    const parts = splitImages(msg, files, clone, () => 'seq1');
    assert.equal(parts.length, 2);
    parts.forEach((p, i) => {
      assert.deepEqual(p.parts, { id: 'seq1', type: 'array', index: i, count: 2, len: 1 });
      assert.equal(p._msgid, undefined, 'send() gives each its own id');
      assert.equal(p.topic, 't');
      assert.ok(Buffer.isBuffer(p.payload) && p.payload.equals(files[i]));
    });
    (parts[0].crynux as { taskId: string }).taskId = 'changed';
    assert.equal((parts[1].crynux as { taskId: string }).taskId, '1', 'each msg is a copy');
    assert.equal(msg._msgid, 'orig', 'the input msg is untouched');
  });

  it('one msg per image inside an existing sequence: the outer parts are kept as parts.parts', () => {
    const outer = { id: 'outer', index: 3, count: 5, type: 'array', len: 1 };
    const [p] = splitImages({ parts: outer }, [Buffer.from('a')], clone, () => 'inner');
    assert.deepEqual(p.parts, { parts: outer, id: 'inner', type: 'array', index: 0, count: 1, len: 1 });
  });
});
