/**
 * A MemoryStore whose next matching write waits until released: a slow persistent store
 * (a context store on a busy disk), to put a client's close or a successor's start exactly
 * while a record is being written.
 */
import { MemoryStore } from '../../lib/tracker/stores';
import type { KeyValueStore } from '../../lib/client-types';

export class HeldStore implements KeyValueStore {
  readonly inner = new MemoryStore();
  /** Resolves once the held write has arrived. */
  reached: Promise<void> = Promise.resolve();
  release: () => void = () => undefined;
  private next: { match: (key: string, value: unknown) => boolean; arrived: () => void; gate: Promise<void> } | undefined;

  /** Holds the next write for which `match` is true (default: any). */
  holdNextWrite(match: (key: string, value: unknown) => boolean = () => true): void {
    let arrived!: () => void;
    this.reached = new Promise((r) => (arrived = r));
    const gate = new Promise<void>((r) => (this.release = r));
    this.next = { match, arrived, gate };
  }

  get(key: string): Promise<unknown> {
    return this.inner.get(key);
  }

  async set(key: string, value: unknown): Promise<void> {
    const held = this.next;
    if (held?.match(key, value)) {
      this.next = undefined;
      held.arrived();
      await held.gate;
    }
    await this.inner.set(key, value);
  }
}

/** Whether `p` has settled once the pending callbacks ran (a held write keeps it pending). */
export async function settledNow(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
}
