/**
 * crynux-await-result: waits for the first terminal event of a task (SPEC §2 step 5, §3.8)
 * through the config's one block watcher, so waiting costs no RPC calls per task and no
 * timers here. TaskSuccess → output 1, TaskAborted or a timeout → output 2.
 *
 * Crash safety (ARCHITECTURE): an accepted msg is kept in this node's context until its
 * outcome was sent; a new instance of the node (redeploy, or restart with a persistent
 * context store) resumes those msgs and sends each outcome once, with node.send.
 */
import type { CrynuxClient } from '../lib/client';
import type { TaskOutcome } from '../lib/client-types';
import { CrynuxError } from '../lib/errors';
import {
  Status,
  deploySetting,
  followNetworkHealth,
  getConfigNode,
  handleInput,
  migrateConfig,
  optionalField,
  parseSeconds,
  requireField,
  setCrynux,
  showConfigProblem,
  reviveMsg,
  snapshotMsg,
  timeoutFor,
  type CrynuxMsg,
  type Node,
  type NodeAPI,
  type NodeDef,
} from './shared';
import { PendingTasks } from './crynux-await-result.pending';

interface AwaitSettings {
  crynux?: string;
  /** Seconds to wait for a terminal event. */
  timeout?: string | number;
  /** On timeout, cancel the task once its contract deadline has passed (refund, SPEC §3.9). */
  cancelOnTimeout?: boolean;
  /** Context store for pending msgs ('' = the runtime's default store). */
  store?: string;
}

/** Longer than the contract's 900 s deadline (SPEC §3.9), so a cancel is possible at once. */
const DEFAULT_TIMEOUT_S = 1200;
/** A msg resumed after its deadline still gets this long for the watcher to find old events. */
const RESUME_GRACE_MS = 30_000;

export = function (RED: NodeAPI) {
  function CrynuxAwaitResult(this: Node, def: NodeDef & AwaitSettings) {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = migrateConfig('crynux-await-result', def);
    const status = new Status(node, RED._);
    showConfigProblem(RED, settings.crynux, status);
    const stopFollowing = followNetworkHealth(RED, settings.crynux, status, RED._);
    const timeoutSetting = deploySetting(() => parseSeconds(settings.timeout, 'Setting "timeout"', DEFAULT_TIMEOUT_S), status, node);
    const cancelOnTimeout = settings.cancelOnTimeout !== false;
    const storeName = typeof settings.store === 'string' && settings.store.trim() ? settings.store.trim() : undefined;
    const storeProblem = (err: Error) => node.warn(RED._('crynux-await-result.warn.store', { message: err.message }));
    const pending = new PendingTasks(node.id, node.context(), storeName, storeProblem);
    /** Msgs taken over from an earlier instance: already stored, with their original deadline. */
    const resumed = new WeakMap<object, { key: string; deadline: number; genesisHash?: string }>();
    let closing: { removed: boolean } | undefined;

    // Registered before handleInput's handler, so the flag is set when the waits are aborted.
    node.on('close', (removed: boolean, done: () => void) => {
      stopFollowing();
      closing = { removed: Boolean(removed) };
      if (!removed) pending.handOver();
      done();
    });

    const run = handleInput<CrynuxMsg>(node, status, async ({ msg, job, signal, send }) => {
      // A resumed msg stays stored when this throws: fixing the setting and redeploying resumes it.
      // msg.timeout sets the deadline of a msg being accepted; a resumed msg keeps its stored one.
      const timeoutMs = resumed.has(msg) ? timeoutSetting() : timeoutFor(msg, timeoutSetting());
      const network = getConfigNode(RED, settings.crynux);
      const taskId = requireField<string>(msg, 'taskId', 'crynux-create-task');
      const fromBlock = optionalField<number>(msg, 'blockNumber');
      let held: { key: string; deadline: number; genesisHash?: string } | undefined = resumed.get(msg);
      if (!held) {
        const deadline = Date.now() + timeoutMs;
        const txHash = optionalField<string>(msg, 'txHash');
        const key = await pending.add({ taskId, txHash, blockNumber: fromBlock, deadline, msg: snapshotMsg(msg) });
        held = { key, deadline };
      }

      job.waiting('crynux-await-result.status.waiting', { taskId });
      showCount();
      let outcome: TaskOutcome;
      try {
        const client = await network.getClient();
        await checkSameChain(client, held, taskId);
        const remaining = held.deadline - Date.now();
        outcome = await client.waitForOutcome(taskId, {
          fromBlock,
          timeoutMs: resumed.has(msg) ? Math.max(remaining, RESUME_GRACE_MS) : Math.max(remaining, 0),
          cancelOnTimeout,
          signal,
        });
      } catch (err) {
        // Stopped (redeploy, shutdown): the next instance resumes this msg and sends its
        // outcome, so it ends here without an error (a Catch-driven retry would pay twice).
        if (closing && !closing.removed) return undefined;
        if (!closing) await pending.remove(held.key);
        throw err;
      }

      const c = msg.crynux ?? {};
      if (outcome.status === 'success') {
        for (const k of ['abortReason', 'cancelTxHash']) delete c[k];
        setCrynux(msg, { status: 'success', result: outcome.result, resultNode: outcome.resultNode });
      } else {
        for (const k of ['result', 'resultNode']) delete c[k];
        setCrynux(msg, { status: 'aborted', abortReason: outcome.abortReason });
        if (outcome.cancelTxHash) setCrynux(msg, { cancelTxHash: outcome.cancelTxHash });
      }
      send(outcome.status === 'success' ? [msg, null] : [null, msg]);
      // After sending: a crash in between re-sends on restart rather than losing a paid result.
      await pending.remove(held.key);
      if (outcome.status === 'success') {
        job.succeed('crynux-await-result.status.success', { taskId });
      } else {
        job.succeed('crynux-await-result.status.aborted', { taskId, reason: outcome.abortReason });
        if (status.inFlight === 0) status.show('yellow', 'ring', 'crynux-await-result.status.aborted', { taskId, reason: outcome.abortReason });
      }
      showCount();
      return undefined;
    });

    /**
     * A msg kept across a restart names a task on the chain it was accepted on. A chain reset
     * (a restarted devnet: same chain id and addresses, task ids from 1 again) would hand it
     * another task's outcome, so such a msg fails instead, naming its task.
     */
    async function checkSameChain(client: CrynuxClient, held: { key: string; genesisHash?: string }, taskId: string): Promise<void> {
      const { genesisHash } = await client.chain();
      if (!genesisHash) return;
      if (!held.genesisHash) {
        held.genesisHash = genesisHash;
        await pending.setGenesis(held.key, genesisHash);
      } else if (held.genesisHash !== genesisHash) {
        throw new CrynuxError(
          'OTHER_CHAIN',
          `Task ${taskId} was created on another chain than the one the RPC serves now (genesis ${held.genesisHash}, now ${genesisHash}: ` +
            'the devnet or network was reset). Its outcome cannot be read here; create the task again.',
        );
      }
    }

    /** With several msgs waiting, the status says how many (one shows its task id). */
    function showCount(): void {
      if (status.inFlight > 1) status.show('yellow', 'dot', 'crynux-await-result.status.waitingMany', { count: status.inFlight });
    }

    // Resume what an earlier instance of this node accepted but did not deliver.
    void pending.takeOver().then((entries) => {
      for (const { key, entry } of entries) {
        if (closing) return;
        const msg = reviveMsg(entry.msg) as CrynuxMsg;
        resumed.set(msg, { key, deadline: entry.deadline, genesisHash: entry.genesisHash });
        node.log(RED._('crynux-await-result.log.resumed', { taskId: entry.taskId }));
        run(msg);
      }
    });
  }

  RED.nodes.registerType('crynux-await-result', CrynuxAwaitResult);
};
