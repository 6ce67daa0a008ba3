/**
 * The one owner of `node.status`. Each msg being worked on is a StatusJob; the node shows
 * the phase of the job updated last, suffixed with the in-flight count when more than one
 * msg is in progress, and never "done" while another msg is still working.
 *
 *   blue dot   working (sending, uploading…)
 *   yellow dot waiting / retrying
 *   green dot  done (last job finished)
 *   red ring   error (short reason)
 */
import type { NodeStatus } from './red-types';
import { sharedKey, type Translate } from './i18n';
import { shortReason } from './errors';

type Params = Record<string, unknown>;

interface JobState {
  fill: 'blue' | 'yellow';
  text: string;
  touched: number;
}

export class Status {
  private readonly jobs = new Map<number, JobState>();
  private seq = 0;
  private tick = 0;
  private closed = false;
  /** A network problem to show while msgs are in flight (e.g. the RPC stopped answering). */
  private problem: string | undefined;

  constructor(
    private readonly node: { status(s: NodeStatus): void },
    private readonly t: Translate,
  ) {}

  /** Number of msgs currently in progress. */
  get inFlight(): number {
    return this.jobs.size;
  }

  /** Starts tracking one msg. */
  begin(): StatusJob {
    return new StatusJob(this, ++this.seq);
  }

  /** A node-level status outside any job (e.g. "no config", a wallet balance). */
  show(fill: NodeStatus['fill'], shape: NodeStatus['shape'], key: string, params?: Params): void {
    this.put({ fill, shape, text: this.t(key, params) });
  }

  /** Red ring for an error outside any job (e.g. bad settings at deploy). */
  error(err: unknown): void {
    this.put({ fill: 'red', shape: 'ring', text: shortReason(err, this.t) });
  }

  clear(): void {
    this.put({});
  }

  /** Clears the status; after close, late job updates must not touch a node that is gone. */
  close(): void {
    this.put({});
    this.closed = true;
    this.jobs.clear();
  }

  /**
   * While set and msgs are in flight, the status is a yellow ring naming the problem instead of
   * the job's phase, so a user sees why nothing moves; cleared, the latest phase comes back.
   */
  setProblem(text: string | undefined): void {
    if (text === this.problem) return;
    this.problem = text;
    const latest = this.latest();
    if (latest) this.showJob(latest);
  }

  /** @internal */
  update(id: number, fill: 'blue' | 'yellow', key: string, params?: Params): void {
    const job = { fill, text: this.t(key, params), touched: ++this.tick };
    this.jobs.set(id, job);
    this.showJob(job);
  }

  private showJob(job: JobState): void {
    if (this.problem) this.put({ fill: 'yellow', shape: 'ring', text: this.withCount(this.problem) });
    else this.put({ fill: job.fill, shape: 'dot', text: this.withCount(job.text) });
  }

  /** @internal */
  finish(id: number, outcome: { ok: true; key?: string; params?: Params } | { ok: false; err: unknown }): void {
    this.jobs.delete(id);
    if (!outcome.ok) {
      const reason = shortReason(outcome.err, this.t);
      this.put({ fill: 'red', shape: 'ring', text: this.jobs.size ? `${reason} (${this.jobs.size})` : reason });
      return;
    }
    const latest = this.latest();
    if (latest) {
      this.showJob(latest);
    } else {
      this.put({ fill: 'green', shape: 'dot', text: this.t(outcome.key ?? sharedKey('status.done'), outcome.params) });
    }
  }

  private latest(): JobState | undefined {
    let best: JobState | undefined;
    for (const j of this.jobs.values()) if (!best || j.touched > best.touched) best = j;
    return best;
  }

  private withCount(text: string): string {
    return this.jobs.size > 1 ? `${text} (${this.jobs.size})` : text;
  }

  private put(s: NodeStatus): void {
    if (!this.closed) this.node.status(s);
  }
}

/** Status handle for one msg. After succeed/fail further calls are ignored. */
export class StatusJob {
  private over = false;
  constructor(
    private readonly owner: Status,
    private readonly id: number,
  ) {}

  /** Blue dot: actively doing something. */
  working(key: string, params?: Params): void {
    if (!this.over) this.owner.update(this.id, 'blue', key, params);
  }

  /** Yellow dot: waiting for the chain/relay, or retrying. */
  waiting(key: string, params?: Params): void {
    if (!this.over) this.owner.update(this.id, 'yellow', key, params);
  }

  /** Green dot (when no other msg is in flight), text `key` or the shared "done". */
  succeed(key?: string, params?: Params): void {
    if (this.over) return;
    this.over = true;
    this.owner.finish(this.id, { ok: true, key, params });
  }

  /** Red ring with the error's short reason. */
  fail(err: unknown): void {
    if (this.over) return;
    this.over = true;
    this.owner.finish(this.id, { ok: false, err });
  }

  get finished(): boolean {
    return this.over;
  }
}
