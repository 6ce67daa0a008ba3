/**
 * A real Node-RED runtime (child process) for the reliability tests: unlike the packaging
 * helper it keeps its user directory and deployed flows across stop/start, so a test can stop
 * the runtime mid-task and start it again; it loads this pack straight from the built
 * `nodes` folder (`nodesDir`), and can record everything the editor would see (comms).
 */
import path from 'node:path';
import { nodeRedDir, startNodeRed, type NodeRedRuntime } from '../helpers/node-red';

/** dist/nodes beside this compiled file's dist/test/reliability (works for any CRYNUX_DIST). */
export const BUILT_NODES = path.resolve(__dirname, '..', '..', 'nodes');

export interface RuntimeOptions {
  userDir: string;
  /** settings.js properties over the defaults (JSON-serialisable). */
  settings?: Record<string, unknown>;
}

export type Runtime = NodeRedRuntime;

/** Starts Node-RED on a free 127.0.0.1 port, keeping whatever flows the user dir already has. */
export function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  return startNodeRed({
    userDir: opts.userDir,
    keepFlows: true,
    settings: { credentialSecret: 'crynux-reliability-test', nodesDir: [BUILT_NODES], ...opts.settings },
  });
}

const startedCount = (runtime: Runtime) => (runtime.log().match(/Started flows/g) ?? []).length;

/** Deploys `flows` (full deployment; credentials ride along in the config nodes); resolves once they run. */
export async function deploy(runtime: Runtime, flows: object[]): Promise<void> {
  const before = startedCount(runtime);
  await runtime.api('POST', 'flows', { flows }, { 'Node-RED-Deployment-Type': 'full' });
  await flowsStarted(runtime, before + 1);
}

/** Resolves once the runtime log says the flows have started `times` times in all. */
export async function flowsStarted(runtime: Runtime, times = 1, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (startedCount(runtime) < times) {
    if (Date.now() > deadline) throw new Error(`flows did not start:\n${runtime.log().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface WsLike {
  on(event: 'message', fn: (data: Buffer) => void): void;
  on(event: 'open' | 'close', fn: () => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  send(data: string): void;
  close(): void;
}

/**
 * Everything the runtime publishes to editors over /comms (debug messages, node status,
 * notifications), as raw text and parsed. `ws` is Node-RED's own dependency.
 */
export async function recordComms(runtime: Runtime): Promise<{ frames: string[]; messages(): Array<{ topic: string; data: unknown }>; close(): void }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const WebSocket = require(require.resolve('ws', { paths: [nodeRedDir()] })) as new (url: string) => WsLike;
  const ws = new WebSocket(`${runtime.url.replace(/^http/, 'ws')}comms`);
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(data.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('error', reject);
  });
  for (const topic of ['debug', 'status/#', 'notification/#', 'event-log/#']) ws.send(JSON.stringify({ subscribe: topic }));
  return {
    frames,
    messages: () => frames.flatMap((f) => {
      const parsed = JSON.parse(f) as unknown;
      return Array.isArray(parsed) ? (parsed as Array<{ topic: string; data: unknown }>) : [];
    }),
    close: () => ws.close(),
  };
}
