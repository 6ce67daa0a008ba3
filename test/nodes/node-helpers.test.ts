/**
 * The node tests' flow fixtures build flows as the editor saves them: Node-RED runs a node
 * without x/y as a config node, so a fixture that dropped them would test another flow.
 */
import assert from 'node:assert/strict';
import { catchFlow, completeFlow, configCredentials, configNode, helper, nodeModule, onTab, placed } from './node-helpers';

const NET = { rpcUrl: 'http://127.0.0.1:1', chainId: 10000, taskAddress: `0x${'11'.repeat(20)}`, taskQueueAddress: '', relayUrl: 'http://127.0.0.1:1' };

describe('node test fixtures', () => {
  afterEach(() => helper.unload());

  it('onTab: the runtime runs every node as a flow node of the tab, none as a config node', async () => {
    await helper.load(nodeModule('crynux-build-task'), onTab([
      { id: 'b', type: 'crynux-build-task', version: 1, wires: [['out']] },
      { id: 'out', type: 'helper' },
      ...completeFlow('completer', 'completed', ['b']),
      ...catchFlow('catcher', 'caught', ['b']),
    ]));
    const tab = helper._redNodes.getFlow('flow') as { nodes: { id: string }[]; configs?: { id: string }[] };
    assert.deepEqual(tab.nodes.map((n) => n.id).sort(), ['b', 'catcher', 'caught', 'completed', 'completer', 'out']);
    assert.deepEqual(tab.configs ?? [], []);
  });

  it('onTab keeps given z and x/y; the config node stays global, without a position or a key', () => {
    const [tab, cfg, a, b] = onTab([configNode(NET), { id: 'a', type: 'helper', x: 5, y: 7 }, { id: 'b', type: 'helper', z: 'other' }]) as Record<string, unknown>[];
    assert.equal(tab.type, 'tab');
    assert.deepEqual([cfg.z, cfg.x, cfg.y, cfg.privateKey, cfg.credentials], [undefined, undefined, undefined, undefined, undefined]);
    assert.deepEqual([a.z, a.x, a.y], ['flow', 5, 7]);
    assert.equal(b.z, 'other');
    assert.equal(typeof b.x, 'number');
    assert.deepEqual(configCredentials('k', 'c2'), { c2: { privateKey: 'k' } });
  });

  it('refuses a flow node off any tab and a key passed as a config property', () => {
    assert.throws(() => placed([{ id: 'n', type: 'inject' }]), /flow node n \(inject\) has no z/);
    assert.throws(() => configNode(NET, { privateKey: 'k' }), /configCredentials/);
  });
});
