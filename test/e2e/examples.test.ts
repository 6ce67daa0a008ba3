/**
 * The shape of examples/: importable flows that explain themselves, carry no secrets,
 * point at the local devnet and together use every node type of the pack.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CRYNUX_TYPES, DEVNET_TASK_ADDRESS, EXAMPLES, type FlowNode } from './example-flows';

describe('examples/ (importable flows)', function () {
  it('each starts with a comment, carries no secrets, and together they use every node type', () => {
    const files = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'));
    assert.deepEqual(files.sort(), ['balance-alert.json', 'gpt-chat.json', 'image-generation.json', 'retry-on-abort.json']);
    const used = new Set<string>();
    for (const f of files) {
      const text = fs.readFileSync(path.join(EXAMPLES, f), 'utf8');
      const flow = JSON.parse(text) as FlowNode[];
      assert.equal(flow[0].type, 'comment', `${f} starts with a comment node`);
      assert.ok(flow[0].info.length > 200, `${f}: the comment explains the flow`);
      assert.ok(!/\b(0x)?[0-9a-fA-F]{64}\b/.test(text), `${f}: no private key (or any 32-byte hex) in the file`);
      const cfg = flow.filter((n) => n.type === 'crynux-config');
      assert.equal(cfg.length, 1, `${f}: one config node`);
      assert.ok(!('credentials' in cfg[0]), `${f}: no credentials`);
      assert.deepEqual([cfg[0].name, cfg[0].network, cfg[0].taskAddress], ['Local devnet', 'devnet', DEVNET_TASK_ADDRESS]);
      const ids = new Set<string>();
      for (const n of flow) {
        assert.ok(!ids.has(n.id), `${f}: duplicate id ${n.id}`);
        ids.add(n.id);
        used.add(n.type);
        if (n.type.startsWith('crynux-') && n.type !== 'crynux-config') assert.equal(typeof n.version, 'number', `${f}: ${n.type} has a version`);
        if (n.crynux !== undefined) assert.equal(n.crynux, cfg[0].id, `${f}: ${n.type} uses the example's config node`);
        for (const port of n.wires ?? []) for (const to of port) assert.ok(flow.some((m) => m.id === to), `${f}: ${n.id} is wired to a missing node ${to}`);
      }
    }
    for (const t of CRYNUX_TYPES) assert.ok(used.has(t), `some example uses ${t}`);
  });

  it('every example shares one config node id, so importing a second one reuses the configured wallet', () => {
    const ids = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json'))
      .map((f) => (JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')) as FlowNode[]).find((n) => n.type === 'crynux-config')!.id);
    assert.equal(new Set(ids).size, 1);
  });
});
