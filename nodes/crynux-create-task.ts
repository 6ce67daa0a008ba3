/**
 * crynux-create-task: sends Task.createTask (SPEC §2 step 2, §3.4) through the config's
 * client (its nonce queue checks fee + gas against the balance first) and waits for the
 * configured confirmations; the taskId comes from the receipt's TaskPending log (§3.6).
 *
 * Crash safety: each msg is tracked in the config's store (hash and signed transaction before
 * the broadcast, a JSON-safe copy of the msg). On start the node resumes what it had sent but
 * not delivered, following that very transaction; a delivered job is remembered for a day so
 * the same msg coming back (e.g. a Catch retry after a redeploy) joins it instead of paying again.
 */
import type { CrynuxClient } from '../lib/client';
import {
  Status,
  followNetworkHealth,
  getConfigNode,
  handleInput,
  migrateConfig,
  optionalField,
  parseCnx,
  requireField,
  setCrynux,
  showConfigProblem,
  reviveMsg,
  snapshotMsg,
  type CrynuxMsg,
  type Node,
  type NodeAPI,
  type NodeDef,
} from './shared';

interface CreateTaskSettings {
  crynux?: string;
  /** CNX, decimal text. */
  fee?: string;
  /** Multiply the fee by cap (the bridge's "base × cap" convention, SPEC §6.6). */
  feePerCap?: boolean;
}

const BUILT_BY = 'crynux-build-task';
const DELIVERED = 'delivered';
/** How long a delivered job is remembered, so the same msg coming back does not pay again. */
const KEEP_DELIVERED_MS = 24 * 3600 * 1000;

export = function (RED: NodeAPI) {
  function CrynuxCreateTask(this: Node, def: NodeDef & CreateTaskSettings) {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = migrateConfig('crynux-create-task', def);
    const status = new Status(this, RED._);
    showConfigProblem(RED, settings.crynux, status);
    const stopFollowing = followNetworkHealth(RED, settings.crynux, status, RED._);
    node.on('close', (_removed: boolean, done: () => void) => {
      stopFollowing();
      done();
    });

    const run = handleInput<CrynuxMsg>(node, status, async ({ msg, job, signal, send }) => {
      const network = getConfigNode(RED, settings.crynux);
      const taskType = requireField<0 | 1>(msg, 'taskType', BUILT_BY);
      const taskHash = requireField<string>(msg, 'taskHash', BUILT_BY);
      const vramLimit = requireField<number>(msg, 'vramLimit', BUILT_BY);
      const cap = requireField<number>(msg, 'cap', BUILT_BY);
      const taskFee = feeFor(msg, cap);

      job.working('crynux-create-task.status.sending');
      const client = await network.getClient();
      // Tracked per node, msg and attempt: if this msg comes back after a failure that left
      // the transaction in flight (RPC outage, redeploy), the client follows that transaction
      // instead of paying for a second task (ARCHITECTURE "Crash safety").
      const key = `create:${node.id}:${msg._msgid ?? ''}:${optionalField<number>(msg, 'attempt') ?? 0}`;
      const created = await client.createTask(
        { taskType, taskHash, vramLimit, cap, taskFee },
        {
          signal,
          track: { key, stage: 'created', snapshot: snapshotMsg(msg) },
          onSent: (txHash) => {
            // Recorded at once: if confirmation fails, the flow still knows what was sent.
            setCrynux(msg, { txHash });
            job.waiting('crynux-create-task.status.confirming');
          },
        },
      );
      setCrynux(msg, {
        taskId: created.taskId,
        txHash: created.txHash,
        blockNumber: created.blockNumber,
        creator: created.creator,
        taskFee: created.taskFee,
      });
      job.succeed('crynux-create-task.status.created', { taskId: created.taskId });
      send(msg);
      // Delivered: from here crynux-await-result owns the task (and its own crash safety).
      await client.updateTracked(key, { stage: DELIVERED, snapshot: undefined }).catch((err: Error) => node.warn(err.message));
      await forgetOldJobs(client);
      return undefined;
    });

    void resumeUndelivered();

    /** After a restart or redeploy: jobs whose createTask went out but whose msg was never sent on. */
    async function resumeUndelivered(): Promise<void> {
      let client: CrynuxClient;
      try {
        client = await getConfigNode(RED, settings.crynux).getClient();
      } catch {
        return; // an unusable config is reported per msg
      }
      await forgetOldJobs(client);
      for (const rec of await client.listTracked()) {
        if (!rec.key.startsWith(`create:${node.id}:`) || rec.stage === DELIVERED || !rec.txHash || !rec.snapshot) continue;
        node.log(`resuming createTask ${rec.txHash} of a msg that was in progress before a restart or redeploy`);
        // The same key: the client follows (or re-sends byte for byte) the recorded transaction.
        run(reviveMsg(rec.snapshot as Record<string, unknown>) as CrynuxMsg);
      }
    }

    /**
     * Drops this node's records older than a day that can no longer matter: delivered jobs, and
     * jobs that never got as far as a signed transaction (the hash is stored before any
     * broadcast, so no hash means nothing was ever sent, e.g. a call ended by a redeploy).
     */
    async function forgetOldJobs(client: CrynuxClient): Promise<void> {
      const cutoff = Date.now() - KEEP_DELIVERED_MS;
      for (const rec of await client.listTracked().catch(() => [])) {
        if (!rec.key.startsWith(`create:${node.id}:`) || !(Date.parse(rec.updatedAt) < cutoff)) continue;
        if (rec.stage === DELIVERED || (!rec.txHash && !rec.taskId)) await client.untrack(rec.key).catch(() => undefined);
      }
    }

    /** msg.crynux.taskFee (wei) wins over the dialog's fee (CNX). */
    function feeFor(msg: CrynuxMsg, cap: number): bigint {
      const fromMsg = optionalField<string>(msg, 'taskFee');
      if (fromMsg !== undefined) return BigInt(fromMsg);
      const fee = parseCnx(settings.fee, 'Setting "fee"');
      return settings.feePerCap ? fee * BigInt(cap) : fee;
    }
  }

  RED.nodes.registerType('crynux-create-task', CrynuxCreateTask);
};
