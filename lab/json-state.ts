import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A small JSON document kept in the lab's state dir, so that the fronts' knowledge (ETags,
 * policies, exports) survives a restart. Saves are queued and atomic (write, then rename).
 */
export class JsonState<T> {
  #queue: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    public value: T,
  ) {}

  static async load<T>(file: string, fallback: T): Promise<JsonState<T>> {
    await mkdir(path.dirname(file), { recursive: true });
    try {
      return new JsonState(file, JSON.parse(await readFile(file, 'utf8')) as T);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new JsonState(file, fallback);
      throw new Error(`lab state ${file} is unreadable: ${(err as Error).message}`);
    }
  }

  save(): Promise<void> {
    const snapshot = JSON.stringify(this.value);
    const tmp = `${this.file}.tmp`;
    // A failed save must not stop the ones after it.
    this.#queue = this.#queue.catch(() => undefined).then(async () => {
      await writeFile(tmp, snapshot);
      await rename(tmp, this.file);
    });
    return this.#queue;
  }
}
