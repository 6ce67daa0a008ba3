/**
 * Our ABI fragments against the upstream 2024 ABI JSON (read from ../shared only) and the
 * abi / calldata / logs / revert_data vectors (SPEC §3.2, §3.3, §3.5).
 */
import assert from 'node:assert/strict';
import { Interface, ZeroHash, type EventFragment, type FunctionFragment } from 'ethers';
import { describeWithShared, readShared } from '../helpers/shared';
import { TASK_EVENT_TOPICS, nodeInterface, taskInterface, taskQueueInterface } from '../../lib/protocol/abi';
import { decodeTaskLog, taskIdFromReceipt } from '../../lib/protocol/events';
import { decodeRevertData } from '../../lib/protocol/revert';

type AnyVector = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const TASK = '0x07E149A0e372C2F54Df6358d021d700703D222D1';
const upstream = (name: string) => new Interface(readShared<object[]>(`upstream/abi/crynux-bridge@e13158b__blockchain__abi__${name}.abi`) as never);

function functionsOf(i: Interface): FunctionFragment[] {
  const out: FunctionFragment[] = [];
  i.forEachFunction((f) => out.push(f));
  return out;
}
function eventsOf(i: Interface): EventFragment[] {
  const out: EventFragment[] = [];
  i.forEachEvent((e) => out.push(e));
  return out;
}

describeWithShared('conformance: ABI fragments vs upstream ABI JSON and vectors (SPEC §3.2, §3.3)', () => {
  const vectors = readShared<AnyVector>('vectors.json');
  const ours: [string, Interface][] = [['Task', taskInterface], ['Node', nodeInterface], ['TaskQueue', taskQueueInterface]];

  for (const [name, iface] of ours) {
    it(`${name}: every function has the upstream selector, inputs, outputs and mutability`, () => {
      const up = upstream(name);
      const listed = new Map((vectors.abi.contracts[name].functions as AnyVector[]).map((f) => [f.signature, f.selector]));
      for (const f of functionsOf(iface)) {
        const u = up.getFunction(f.format('sighash'));
        assert.ok(u, `${name}.${f.format('sighash')} not in the upstream ABI`);
        assert.equal(f.selector, u.selector);
        assert.equal(f.format('full'), u.format('full'), `${name}.${f.name}`);
        assert.equal(f.stateMutability, u.stateMutability, `${name}.${f.name} mutability`);
        assert.equal(listed.get(f.format('sighash')), f.selector, `${name}.${f.name} in vectors.json`);
      }
    });
  }

  it('Task events: topic0, indexed flags and parameter names equal upstream', () => {
    const up = upstream('Task');
    for (const e of eventsOf(taskInterface)) {
      const u = up.getEvent(e.format('sighash'));
      assert.ok(u, `event ${e.name} not upstream`);
      assert.equal(e.topicHash, u.topicHash);
      assert.equal(e.format('full'), u.format('full'));
    }
    const upstreamTaskEvents = eventsOf(up).map((e) => e.name).filter((n) => n !== 'OwnershipTransferred').sort();
    assert.deepEqual(eventsOf(taskInterface).map((e) => e.name).sort(), upstreamTaskEvents);
  });

  it('TASK_EVENT_TOPICS equal the vectors and the SPEC §3.3 table', () => {
    for (const [name, topic] of Object.entries(TASK_EVENT_TOPICS)) {
      const key = Object.keys(vectors.abi.task_events_topic0).find((k) => k.startsWith(`${name}(`));
      assert.ok(key, name);
      assert.equal(topic, vectors.abi.task_events_topic0[key]);
      assert.equal(taskInterface.getEvent(name)!.topicHash, topic);
    }
    assert.equal(TASK_EVENT_TOPICS.TaskPending, '0xa8b23b175c46381c07d9001d248005cebb7fd414d3f64bf1cebfe320a23f6050');
  });

  it('createTask is the deployed 5-argument payable 0x043b438f, not a doc-linked variant (§8 trap 1)', () => {
    const f = taskInterface.getFunction('createTask')!;
    assert.equal(f.selector, '0x043b438f');
    assert.equal(f.payable, true);
    for (const [sig, selector] of Object.entries(vectors.abi.other_selectors as Record<string, string>)) {
      if (sig.startsWith('createTask')) assert.notEqual(f.selector, selector, sig);
    }
  });

  describe('calldata', () => {
    const parseCall = (call: string): [string, unknown[]] => {
      const [, name, inner] = /^(\w+)\((.*)\)$/.exec(call)!;
      const args = inner.split(', ').map((a) => (a.startsWith('"') ? a.slice(1, -1) : a === '0x00\u202600' ? ZeroHash : a));
      return [name, args];
    };
    for (const c of vectors.calldata as AnyVector[]) {
      it(`${c.id}`, () => {
        const [name, args] = parseCall(c.call);
        const iface = name === 'include' ? taskQueueInterface : name === 'join' ? nodeInterface : taskInterface;
        assert.equal(iface.encodeFunctionData(name, args), c.data);
      });
    }
  });

  describe('logs', () => {
    for (const ex of vectors.logs.examples as AnyVector[]) {
      it(`${ex.event} decodes to the listed values`, () => {
        const ev = decodeTaskLog({ address: TASK, topics: ex.topics, data: ex.data }, TASK);
        assert.ok(ev, 'decoded');
        const { name, ...values } = ev;
        assert.equal(name, ex.event);
        assert.deepEqual(Object.values(values).map((v) => String(v)), ex.values);
      });
    }
    it('taskIdFromReceipt on the example receipt', () => {
      const logs = (vectors.logs.examples as AnyVector[]).map((ex) => ({ address: TASK, topics: ex.topics, data: ex.data }));
      assert.equal(taskIdFromReceipt({ logs }, TASK), 42n);
    });
  });

  describe('revert_data', () => {
    for (const r of vectors.revert_data as AnyVector[]) {
      it(`${r.reason}`, () => {
        const d = decodeRevertData(r.data);
        if (r.data.startsWith('0x4e487b71')) {
          assert.equal(d.kind, 'panic');
          assert.equal(d.panicCode, 0x12);
        } else assert.deepEqual(d, { kind: 'error', reason: r.reason });
      });
    }
  });
});
