/**
 * crynux-fetch-result: downloads the files of a successful task from the relay (§4.2 D, §4.5)
 * through the config's client: at once when they are already there, otherwise after the result
 * node reported its upload (TaskResultUploaded; TaskSuccess alone does not mean downloadable,
 * §8 trap 10). The client checks every SD file is a PNG and every GPT file against its sha256
 * on chain (§6.5), and refuses oversized files.
 */
import { ConfigError, TaskArgsError } from '../lib/errors';
import {
  Status,
  deploySetting,
  followNetworkHealth,
  getConfigNode,
  handleInput,
  migrateConfig,
  optionalField,
  parseSeconds,
  parseWhole,
  requireField,
  setCrynux,
  showConfigProblem,
  timeoutFor,
  type CrynuxMsg,
  type Node,
  type NodeAPI,
  type NodeDef,
} from './shared';
import { gptReply, splitImages } from './crynux-fetch-result.output';
import { DEFAULT_PREVIEW_SIZE, MAX_PREVIEW_SIZE, MIN_PREVIEW_SIZE, Preview, type CommsAPI } from './crynux-fetch-result.preview';
import { usePreviewPool } from './crynux-fetch-result.preview-worker';

interface FetchSettings {
  crynux?: string;
  /** Seconds for waiting for the upload plus downloading. */
  timeout?: string | number;
  /** Files downloaded at once. */
  parallel?: string | number;
  /** Largest accepted file, MiB. */
  maxSize?: string | number;
  /** 'array': one msg with all images; 'parts': one msg per image (msg.parts, for a join node). */
  output?: string;
  /** Thumbnails of the last images under the node in the editor (default on). */
  preview?: boolean | string;
  /** Longer side of a thumbnail, px. */
  previewSize?: string | number;
}

const DEFAULT_TIMEOUT_S = 600;
const MIB = 1024 * 1024;

export = function (RED: NodeAPI) {
  function CrynuxFetchResult(this: Node, def: NodeDef & FetchSettings) {
    RED.nodes.createNode(this, def);
    const node = this;
    const settings = migrateConfig('crynux-fetch-result', def);
    const status = new Status(node, RED._);
    showConfigProblem(RED, settings.crynux, status);
    const stopFollowing = followNetworkHealth(RED, settings.crynux, status, RED._);
    const limits = deploySetting(
      () => ({
        timeoutMs: parseSeconds(settings.timeout, 'Setting "timeout"', DEFAULT_TIMEOUT_S),
        parallel: parseWhole(settings.parallel, 'Setting "parallel downloads"', 1, 16, 4),
        maxBytes: parseMiB(settings.maxSize),
      }),
      status,
      node,
    );
    // A bad preview size only affects the editor's thumbnails: flagged at deploy, default used.
    let previewSize = DEFAULT_PREVIEW_SIZE;
    try {
      previewSize = parseWhole(settings.previewSize, 'Setting "preview size"', MIN_PREVIEW_SIZE, MAX_PREVIEW_SIZE, DEFAULT_PREVIEW_SIZE);
    } catch (err) {
      status.error(err);
      node.error((err as Error).message);
    }
    const perImage = settings.output === 'parts';
    // Flows saved before the preview existed have no `preview`: on, like a new node.
    // Thumbnails are made on a worker thread shared by all fetch-result nodes, not on the runtime's.
    const previewPool = usePreviewPool();
    const preview = new Preview(
      (RED as NodeAPI & { comms?: CommsAPI }).comms,
      node.id,
      { enabled: settings.preview !== false && settings.preview !== 'false', size: previewSize },
      previewPool.render,
    );
    node.on('close', (_removed: boolean, done: () => void) => {
      stopFollowing();
      preview.clear();
      // The last fetch-result node to close ends the thread: a redeploy leaves none behind.
      void previewPool.release().finally(() => done());
    });

    handleInput<CrynuxMsg>(node, status, async ({ msg, job, signal, send }) => {
      const { timeoutMs: settingMs, parallel, maxBytes } = limits();
      const timeoutMs = timeoutFor(msg, settingMs);
      const network = getConfigNode(RED, settings.crynux);
      const taskId = requireField<string>(msg, 'taskId', 'crynux-create-task');
      const taskType = requireField<0 | 1>(msg, 'taskType', 'crynux-build-task');
      if (msg.crynux?.status === 'aborted') {
        throw new TaskArgsError(
          `Task ${taskId} was aborted (${String(msg.crynux.abortReason ?? 'no reason')}): there are no results to fetch. ` +
            'Wire crynux-fetch-result to the "success" output of crynux-await-result',
          [{ path: 'msg.crynux.status', message: 'must be "success"' }],
        );
      }
      const result = optionalField<string>(msg, 'result');
      const fromBlock = optionalField<number>(msg, 'blockNumber');
      const onRetry = ({ attempt }: { attempt: number }) => job.waiting('crynux-fetch-result.status.retrying', { taskId, attempt });

      const client = await network.getClient();
      const { files } = await client.fetchResults(taskId, taskType, {
        parallel,
        maxBytes,
        result,
        fromBlock,
        signal,
        onRetry,
        timeoutMs,
        onStage: (stage) =>
          stage === 'waiting'
            ? job.waiting('crynux-fetch-result.status.waitingUpload', { taskId })
            : job.working('crynux-fetch-result.status.downloading', { taskId }),
      });

      if (taskType === 1) {
        const { text, response } = gptReply(files[0]);
        msg.payload = text;
        setCrynux(msg, { files, response });
        preview.clear();
        job.succeed('crynux-fetch-result.status.reply', { taskId });
        return msg;
      }
      msg.payload = files;
      msg.mimetype = 'image/png';
      job.succeed('crynux-fetch-result.status.images', { taskId, count: files.length });
      if (!perImage) send(msg);
      else for (const part of splitImages(msg, files, RED.util.cloneMessage, RED.util.generateId)) send(part);
      // After the msg is on its way: the preview never holds it up.
      preview.show(files, taskId);
      return undefined;
    });
  }

  RED.nodes.registerType('crynux-fetch-result', CrynuxFetchResult);
};

/** MiB as typed (decimals allowed, e.g. 0.5) → bytes; empty = 32 MiB. */
function parseMiB(v: unknown): number {
  if (v === '' || v === undefined || v === null) return 32 * MIB;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  if (!Number.isFinite(n) || n <= 0 || n > 1024) {
    throw new ConfigError('Setting "largest file" must be a number of MiB greater than 0 and at most 1024');
  }
  return Math.max(1, Math.floor(n * MIB));
}
