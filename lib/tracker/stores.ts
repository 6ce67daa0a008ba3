/**
 * KeyValueStore implementations for the tracker: memory (the default, no crash safety) and
 * a JSON file for users of the library outside Node-RED. Node-RED's context API is the
 * third one, adapted by the config node.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { KeyValueStore } from '../client-types';

/** Values are copied through JSON so callers can never share objects with the store. */
export class MemoryStore implements KeyValueStore {
  private readonly data = new Map<string, string>();

  async get(key: string): Promise<unknown> {
    const v = this.data.get(key);
    return v === undefined ? undefined : JSON.parse(v);
  }

  async set(key: string, value: unknown): Promise<void> {
    if (value === undefined) this.data.delete(key);
    else this.data.set(key, JSON.stringify(value));
  }
}

/**
 * One JSON file holding every key. Writes are serialised and atomic (temp file + rename),
 * so a crash leaves either the old or the new content, never half of it.
 */
export class JsonFileStore implements KeyValueStore {
  private cache: Record<string, unknown> | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {
    if (typeof file !== 'string' || !file) throw new TypeError('JsonFileStore needs a file path');
  }

  private async load(): Promise<Record<string, unknown>> {
    if (this.cache) return this.cache;
    try {
      const parsed = JSON.parse(await fs.promises.readFile(this.file, 'utf8')) as unknown;
      this.cache = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new Error(`JsonFileStore: cannot read ${this.file}: ${(err as Error).message}`);
      }
      this.cache = {};
    }
    return this.cache;
  }

  async get(key: string): Promise<unknown> {
    await this.chain;
    const v = (await this.load())[key];
    return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
  }

  set(key: string, value: unknown): Promise<void> {
    const run = this.chain.then(async () => {
      const data = await this.load();
      if (value === undefined) delete data[key];
      else data[key] = JSON.parse(JSON.stringify(value));
      await fs.promises.mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await fs.promises.writeFile(tmp, JSON.stringify(data, null, 1));
      await fs.promises.rename(tmp, this.file);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}
