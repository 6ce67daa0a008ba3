/**
 * crynux-build-task: dialog settings + msg → task arguments (SPEC §6), their hash,
 * vramLimit and cap, under msg.crynux. Pure: no network, no config node needed.
 */
import { TaskArgsError } from '../lib/errors';
import { buildGptTaskArgs, buildSdTaskArgs, type GptTaskOptions, type SdTaskOptions } from '../lib/task-args';
import { Status, handleInput, migrateConfig, setCrynux, type CrynuxMsg, type Node, type NodeAPI, type NodeDef } from './shared';
import {
  applyPayload,
  fromRawArgs,
  gptOptionsFromSettings,
  sdOptionsFromSettings,
  type BuildTaskSettings,
} from './crynux-build-task.options';

/** Fields of later steps that no longer apply once new arguments are built (a msg may loop back). */
const DOWNSTREAM = ['taskFee', 'txHash', 'blockNumber', 'taskId', 'creator', 'uploadedAt', 'status', 'resultNode', 'result', 'abortReason', 'files', 'response'];

export = function (RED: NodeAPI) {
  function CrynuxBuildTask(this: Node, def: NodeDef & BuildTaskSettings) {
    RED.nodes.createNode(this, def);
    const settings = migrateConfig('crynux-build-task', def);
    const gpt = settings.taskType === 'gpt';
    const status = new Status(this, RED._);

    handleInput<CrynuxMsg>(this, status, async ({ msg, job }) => {
      job.working('crynux-build-task.status.building');
      const built =
        msg.crynux?.taskArgs !== undefined && msg.crynux?.taskArgs !== null
          ? fromRawArgs(msg, gpt ? 1 : 0)
          : gpt
            ? buildGptTaskArgs(gptOptions(msg))
            : buildSdTaskArgs(sdOptions(msg));
      const args = JSON.parse(built.taskArgs) as { seed?: number; task_config?: { seed?: number } };
      const c = msg.crynux ?? {};
      for (const k of DOWNSTREAM) delete c[k];
      // The seed actually used (random when not given), so a good image can be reproduced.
      setCrynux(msg, { ...built, seed: built.taskType === 0 ? args.task_config?.seed : args.seed });
      job.succeed(gpt ? 'crynux-build-task.status.builtGpt' : 'crynux-build-task.status.builtSd', { cap: built.cap });
      return msg;
    });

    function sdOptions(msg: CrynuxMsg): SdTaskOptions {
      const o = applyPayload(sdOptionsFromSettings(settings) as Record<string, unknown>, msg.payload, false);
      if (typeof o.prompt !== 'string' || o.prompt.trim() === '') throw missingPrompt();
      return o as unknown as SdTaskOptions;
    }

    function gptOptions(msg: CrynuxMsg): GptTaskOptions {
      const o = applyPayload(gptOptionsFromSettings(settings) as Record<string, unknown>, msg.payload, true);
      if (o.messages === undefined && (typeof o.prompt !== 'string' || o.prompt.trim() === '')) throw missingPrompt();
      if (o.model === undefined) {
        throw new TaskArgsError('Setting "gptModel" is empty: enter a Hugging Face model id or send msg.payload.model', [
          { path: 'gptModel', message: 'is required' },
        ]);
      }
      return o as unknown as GptTaskOptions;
    }
  }

  function missingPrompt(): TaskArgsError {
    return new TaskArgsError('The prompt is empty: type one in the dialog or send it as a string in msg.payload', [
      { path: 'prompt', message: 'is required' },
    ]);
  }

  RED.nodes.registerType('crynux-build-task', CrynuxBuildTask);
};
