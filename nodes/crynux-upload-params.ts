/**
 * crynux-upload-params: signed upload of the exact task argument string to the relay
 * (SPEC §2 step 4, §4.2 A). Transient answers ("Task not found on the Blockchain" while the
 * relay indexes the block) are retried with backoff by the client until the timeout;
 * "Task already uploaded" counts as success (§4.6).
 */
import {
  Status,
  deploySetting,
  getConfigNode,
  handleInput,
  migrateConfig,
  parseSeconds,
  requireField,
  setCrynux,
  showConfigProblem,
  timeoutFor,
  type CrynuxMsg,
  type Node,
  type NodeAPI,
  type NodeDef,
} from './shared';

interface UploadSettings {
  crynux?: string;
  /** Seconds to keep retrying transient answers. */
  timeout?: string | number;
}

const DEFAULT_TIMEOUT_S = 120;

export = function (RED: NodeAPI) {
  function CrynuxUploadParams(this: Node, def: NodeDef & UploadSettings) {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = migrateConfig('crynux-upload-params', def);
    const status = new Status(node, RED._);
    showConfigProblem(RED, settings.crynux, status);
    const timeoutSetting = deploySetting(() => parseSeconds(settings.timeout, 'Setting "timeout"', DEFAULT_TIMEOUT_S), status, node);

    handleInput<CrynuxMsg>(node, status, async ({ msg, job, signal }) => {
      const timeoutMs = timeoutFor(msg, timeoutSetting());
      const network = getConfigNode(RED, settings.crynux);
      const taskId = requireField<string>(msg, 'taskId', 'crynux-create-task');
      // Never re-serialised: these bytes were hashed for createTask (SPEC §6.1, §8 trap 18).
      const taskArgs = requireField<string>(msg, 'taskArgs', 'crynux-build-task');

      job.working('crynux-upload-params.status.uploading', { taskId });
      const client = await network.getClient();
      const result = await client.uploadTaskArgs(taskId, taskArgs, {
        timeoutMs,
        signal,
        onRetry: ({ attempt, reason }) => job.waiting('crynux-upload-params.status.retrying', { attempt, reason: short(reason) }),
      });
      setCrynux(msg, { uploadedAt: result.uploadedAt });
      job.succeed(result.alreadyUploaded ? 'crynux-upload-params.status.alreadyUploaded' : 'crynux-upload-params.status.uploaded', { taskId });
      return msg;
    });
  }

  RED.nodes.registerType('crynux-upload-params', CrynuxUploadParams);
};

function short(reason: string): string {
  return reason.length > 32 ? `${reason.slice(0, 31)}…` : reason;
}
