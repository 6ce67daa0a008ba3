/**
 * crynux-create-task: sends Task.createTask (SPEC §2 step 2, §3.4) through the config's
 * client (its nonce queue checks fee + gas against the balance first) and waits for the
 * configured confirmations; the taskId comes from the receipt's TaskPending log (§3.6).
 */
import {
  Status,
  getConfigNode,
  handleInput,
  migrateConfig,
  optionalField,
  parseCnx,
  requireField,
  setCrynux,
  showConfigProblem,
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

export = function (RED: NodeAPI) {
  function CrynuxCreateTask(this: Node, def: NodeDef & CreateTaskSettings) {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = migrateConfig('crynux-create-task', def);
    const status = new Status(this, RED._);
    showConfigProblem(RED, settings.crynux, status);

    handleInput<CrynuxMsg>(node, status, async ({ msg, job, signal, send }) => {
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
          track: { key, stage: 'created' },
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
      await client.untrack(key).catch((err: Error) => node.warn(err.message));
      return undefined;
    });

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
