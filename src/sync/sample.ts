/**
 * The hash-sampling proof: a random share of the items seen on the way in is set aside (on
 * disk, so memory does not grow with the table), then each is read back from the destination
 * and their canonical hashes compared. Every mismatch is named by its key.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { canonicalHash } from '../core/canonical.js';
import { keyOf, type Item, type KeySchema } from '../core/items.js';
import type { DocumentTable } from '../core/ports.js';
import { describeError, fail, pass, type Outcome } from '../core/result.js';
import { withRetry } from '../core/retry.js';
import { Pool } from './pool.js';

const MAX_NAMED = 50;

export class Sampler {
  private readonly out: WriteStream;
  size = 0;

  constructor(readonly path: string, private readonly ratio: number, private readonly random: () => number = Math.random) {
    this.out = createWriteStream(path, { mode: 0o600 });
    this.out.on('error', (err) => (this.failure = err));
  }

  private failure: Error | undefined;

  async offer(item: Item): Promise<void> {
    if (this.failure) throw new Error(`the sample cannot be written to ${this.path}: ${this.failure.message}`);
    if (this.random() >= this.ratio) return;
    this.size++;
    if (!this.out.write(JSON.stringify(item) + '\n')) await once(this.out, 'drain');
  }

  async close(): Promise<void> {
    if (this.out.writableFinished) return;
    this.out.end();
    await once(this.out, 'finish');
  }

  async *items(): AsyncGenerator<Item> {
    for await (const line of createInterface({ input: createReadStream(this.path), crlfDelay: Infinity })) {
      if (line) yield JSON.parse(line) as Item;
    }
  }
}

export async function verifySample(sampler: Sampler, destination: DocumentTable, schema: KeySchema, opts: { concurrency?: number; signal?: AbortSignal } = {}): Promise<Outcome> {
  const pool = new Pool(opts.concurrency ?? 16);
  let checked = 0;
  let mismatched = 0;
  const named: Array<{ key: Item; problem: string }> = [];
  for await (const item of sampler.items()) {
    await pool.submit(async () => {
      const key = keyOf(item, schema);
      let problem: string | undefined;
      try {
        const found = await withRetry(() => destination.get(key, opts.signal), { signal: opts.signal });
        if (!found) problem = `missing at ${destination.name}`;
        else if (canonicalHash(found) !== canonicalHash(item)) problem = `hash differs (source ${canonicalHash(item).slice(0, 12)}…, destination ${canonicalHash(found).slice(0, 12)}…)`;
      } catch (err) {
        problem = `cannot be read: ${describeError(err)}`;
      }
      checked++;
      if (problem) {
        mismatched++;
        if (named.length < MAX_NAMED) named.push({ key, problem });
      }
    });
  }
  await pool.drain();
  const ratio = checked === 0 ? 1 : (checked - mismatched) / checked;
  const measurements = { sampled: checked, matched: checked - mismatched, ratio };
  const evidence = { destination: destination.name, mismatches: named };
  if (mismatched === 0) return pass(`${checked} sampled items have equal canonical hashes on both sides`, evidence, measurements);
  const first = named.slice(0, 5).map((m) => `${JSON.stringify(m.key)} ${m.problem}`).join('; ');
  return fail(`${mismatched} of ${checked} sampled items differ: ${first}`, evidence, measurements);
}
