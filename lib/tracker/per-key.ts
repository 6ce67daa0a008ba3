/**
 * Runs calls that share a key one after another; other keys run side by side. The client
 * uses it per tracked job: a second createTask with the same key (a job resumed after a
 * redeploy and the same msg sent again, or one msg arriving twice) then starts only once
 * the first has recorded its outcome, so it joins that task instead of paying for another.
 */
import { abortable } from '../relay/backoff';

export class PerKeySerial {
  private readonly tails = new Map<string, Promise<void>>();

  /** `fn` after every earlier call with `key` has settled; `signal` ends only the wait. */
  run<T>(key: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    const run = abortable(before, signal).then(fn);
    // The next call waits for this one and, if this one gave up waiting, for the earlier ones.
    const tail = Promise.allSettled([before, run]).then(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }

  /** Keys with a call waiting or running. */
  get size(): number {
    return this.tails.size;
  }
}
