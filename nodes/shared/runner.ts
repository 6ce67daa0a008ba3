/**
 * The input/close plumbing every step node shares: one StatusJob and one AbortSignal per
 * msg, `done` called exactly once (with the error for Catch nodes), and on close every
 * in-flight msg is aborted and awaited (bounded) before the runtime's close `done`.
 */
import { AbortedError } from '../../lib/errors';
import type { DoneFn, Node, NodeMessage, SendArg, SendFn } from './red-types';
import type { Status, StatusJob } from './status';
import { toNodeError } from './errors';

export interface JobContext<M extends NodeMessage = NodeMessage> {
  msg: M;
  job: StatusJob;
  /** Aborted when the node closes (redeploy, shutdown); pass it to every lib call. */
  signal: AbortSignal;
  /** Send early or several times; the returned value of the work is sent too. */
  send: SendFn;
}

/** The work for one msg. Return what to send (or undefined/null for nothing). */
export type Work<M extends NodeMessage = NodeMessage> = (ctx: JobContext<M>) => Promise<SendArg | undefined>;

/** Longest the close handler waits for aborted work to settle (Node-RED allows 15 s). */
const CLOSE_GRACE_MS = 5000;

/**
 * Registers the `input` and `close` handlers of a step node. Returns a function that runs
 * the work for a synthetic input (used by the wallet node's interval).
 */
export function handleInput<M extends NodeMessage = NodeMessage>(
  node: Node,
  status: Status,
  work: Work<M>,
): (msg: M, send?: SendFn, done?: DoneFn) => void {
  const running = new Map<Promise<void>, AbortController>();
  let closed = false;

  const run = (msg: M, send?: SendFn, done?: DoneFn): void => {
    const out: SendFn = send ?? ((m) => node.send(m));
    let finished = false;
    const finish = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      if (err === undefined) {
        if (done) done();
        return;
      }
      const nodeErr = toNodeError(err);
      if (done) done(nodeErr);
      else node.error(nodeErr, msg);
    };
    if (closed) {
      finish(new AbortedError('The node is closing'));
      return;
    }
    const controller = new AbortController();
    const job = status.begin();
    const p = (async () => {
      try {
        const result = await work({ msg, job, signal: controller.signal, send: out });
        if (result !== undefined && result !== null) out(result);
        job.succeed();
        finish();
      } catch (err) {
        job.fail(err);
        finish(controller.signal.aborted && !(err instanceof Error) ? new AbortedError() : err);
      }
    })();
    running.set(p, controller);
    void p.finally(() => running.delete(p));
  };

  node.on('input', (msg: NodeMessage, send: SendFn, done: DoneFn) => run(msg as M, send, done));
  node.on('close', (_removed: boolean, done: () => void) => {
    closed = true;
    status.close();
    for (const c of running.values()) c.abort(new AbortedError('The node was closed (redeploy or shutdown)'));
    const settled = Promise.allSettled([...running.keys()]);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
    });
    void Promise.race([settled, grace]).finally(() => {
      clearTimeout(timer);
      done();
    });
  });
  return run;
}
