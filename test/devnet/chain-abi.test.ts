/**
 * The compiled devnet contracts expose exactly the interface our lib speaks (lib/protocol/abi.ts)
 * and, where ../shared is present, the one the 2024 deployment had (SPEC §3.2, §3.3).
 */
import assert from 'node:assert/strict';
import { EventFragment, FunctionFragment, Interface, type InterfaceAbi } from 'ethers';
import { artifactInterface, loadArtifact, type DevnetContractName } from '../../devnet/chain/contracts';
import { nodeInterface, taskInterface, taskQueueInterface } from '../../lib/protocol/abi';
import { describeWithShared, readShared } from '../helpers/shared';

function fnShape(f: FunctionFragment) {
  return { sig: f.format('sighash'), mut: f.stateMutability, out: f.outputs.map((o) => o.format('sighash')) };
}
function evShape(e: EventFragment) {
  return { sig: e.format('sighash'), indexed: e.inputs.map((i) => i.indexed === true) };
}

/** Every function and event of `expected` exists in `actual` with the same selector/topic and shape. */
function assertCovers(actual: Interface, expected: Interface, label: string, only?: (name: string) => boolean): number {
  let checked = 0;
  expected.forEachFunction((f) => {
    if (only && !only(f.name)) return;
    const mine = actual.getFunction(f.selector);
    assert.ok(mine, `${label}: function ${f.format('sighash')} (${f.selector}) missing`);
    assert.deepEqual(fnShape(mine), fnShape(f), `${label}: ${f.name}`);
    checked++;
  });
  expected.forEachEvent((e) => {
    if (only && !only(e.name)) return;
    const mine = actual.getEvent(e.topicHash);
    assert.ok(mine, `${label}: event ${e.format('sighash')} (${e.topicHash}) missing`);
    assert.deepEqual(evShape(mine), evShape(e), `${label}: event ${e.name}`);
    checked++;
  });
  return checked;
}

describe('devnet contracts: compiled ABI', () => {
  const pairs: Array<[DevnetContractName, Interface]> = [
    ['Task', taskInterface],
    ['Node', nodeInterface],
    ['TaskQueue', taskQueueInterface],
  ];
  for (const [name, lib] of pairs) {
    it(`${name} has every selector and topic of our lib's ABI with the same shape`, () => {
      const n = assertCovers(artifactInterface(name), lib, name);
      assert.ok(n >= 3);
    });
  }

  it('createTask is payable and selects 0x043b438f; TaskPending/TaskStarted keep taskId unindexed', () => {
    const task = artifactInterface('Task');
    const create = task.getFunction('createTask')!;
    assert.equal(create.selector, '0x043b438f');
    assert.equal(create.stateMutability, 'payable');
    assert.equal(task.getEvent('TaskPending')!.inputs[0].indexed, false);
    assert.equal(task.getEvent('TaskStarted')!.inputs[0].indexed, false);
    assert.equal(task.getEvent('TaskAborted')!.inputs[0].indexed, true);
  });

  it('artifacts carry creation bytecode below the 24 KiB code-size limit', () => {
    for (const name of ['Node', 'TaskQueue', 'Task'] as const) {
      const a = loadArtifact(name);
      assert.match(a.bytecode, /^0x(?:[0-9a-f]{2})+$/);
      assert.ok((a.bytecode.length - 2) / 2 < 24576, `${name} too large`);
    }
  });

  it('loadArtifact names the build when an artifact is missing', () => {
    assert.throws(() => loadArtifact('NoSuchContract'), /NoSuchContract\.json not found.*build/);
  });
});

// The parts of the upstream ABIs that the app and node sides use (SPEC §3.2, §3.3).
const UPSTREAM = 'upstream/abi/crynux-bridge@e13158b__blockchain__abi__';
const SPEC_NAMES: Record<DevnetContractName, string[]> = {
  Task: [
    'createTask', 'cancelTask', 'getTask', 'getNodeTask', 'totalTasks', 'totalSuccessTasks', 'totalAbortedTasks',
    'submitTaskResultCommitment', 'discloseTaskResult', 'reportResultsUploaded', 'reportTaskError', 'updateTimeout',
    'TaskPending', 'TaskStarted', 'TaskResultCommitmentsReady', 'TaskSuccess', 'TaskAborted', 'TaskResultUploaded',
    'TaskNodeSuccess', 'TaskNodeSlashed', 'TaskNodeCancelled',
  ],
  Node: ['join', 'quit', 'pause', 'resume', 'getNodeStatus'],
  TaskQueue: ['include', 'size', 'getSizeLimit', 'updateSizeLimit'],
};

describeWithShared('devnet contracts vs the upstream 2024 ABIs and vectors.json', () => {
  for (const name of ['Task', 'Node', 'TaskQueue'] as const) {
    it(`${name}: the spec-listed functions and events match upstream`, () => {
      const upstream = new Interface(readShared<InterfaceAbi>(`${UPSTREAM}${name}.abi`));
      const wanted = new Set(SPEC_NAMES[name]);
      const n = assertCovers(artifactInterface(name), upstream, name, (x) => wanted.has(x));
      assert.equal(n, wanted.size, 'every listed name exists upstream');
    });
  }

  it('calldata vectors encode identically with our ABI', () => {
    const vectors = readShared<{ calldata: Array<{ id: string; data: string }> }>('vectors.json').calldata;
    const all = ['Task', 'Node', 'TaskQueue'].map((n) => artifactInterface(n as DevnetContractName));
    for (const v of vectors) {
      const iface = all.find((i) => i.getFunction(v.data.slice(0, 10)));
      assert.ok(iface, `${v.id}: selector ${v.data.slice(0, 10)} missing`);
      const fn = iface.getFunction(v.data.slice(0, 10))!;
      const args = iface.decodeFunctionData(fn, v.data);
      assert.equal(iface.encodeFunctionData(fn, args), v.data, v.id);
    }
  });

  it('every Task event topic0 of vectors.json exists in our Task ABI', () => {
    const topics = readShared<{ abi: { task_events_topic0: Record<string, string> } }>('vectors.json').abi.task_events_topic0;
    const task = artifactInterface('Task');
    for (const [sig, topic] of Object.entries(topics)) assert.equal(task.getEvent(topic)?.format('sighash'), sig);
  });
});
