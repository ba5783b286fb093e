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
  /** Items written to the sample. */
  size = 0;
  /** Items offered, sampled or not. */
  offered = 0;
  /**
   * One item drawn uniformly from those offered while none was sampled (a reservoir of one):
   * at a small ratio a small table could otherwise yield an empty sample, a proof of nothing.
   */
  private fallback: Item | undefined;

  constructor(readonly path: string, private readonly ratio: number, private readonly random: () => number = Math.random) {
    this.out = createWriteStream(path, { mode: 0o600 });
    this.out.on('error', (err) => (this.failure = err));
  }

  private failure: Error | undefined;

  async offer(item: Item): Promise<void> {
    if (this.failure) throw new Error(`the sample cannot be written to ${this.path}: ${this.failure.message}`);
    this.offered++;
    if (this.random() >= this.ratio) {
      if (this.size === 0 && this.random() * this.offered < 1) this.fallback = item;
      return;
    }
    this.fallback = undefined;
    await this.write(item);
  }

  private async write(item: Item): Promise<void> {
    this.size++;
    if (!this.out.write(JSON.stringify(item) + '\n')) await once(this.out, 'drain');
  }

  /** Ends the sample: at least one item in it whenever at least one was offered. */
  async close(): Promise<void> {
    if (this.out.writableFinished) return;
    if (this.fallback && !this.failure) {
      const item = this.fallback;
      this.fallback = undefined;
      await this.write(item);
    }
    this.out.end();
    await once(this.out, 'finish');
  }

  async *items(): AsyncGenerator<Item> {
    for await (const line of createInterface({ input: createReadStream(this.path), crlfDelay: Infinity })) {
      if (line) yield JSON.parse(line) as Item;
    }
  }
}

export interface SampleVerifyOptions {
  concurrency?: number;
  signal?: AbortSignal;
  /**
   * The sampler was offered the whole source (a full import, a scan), not only its changes:
   * then a source that offered nothing passes only beside an empty destination.
   */
  wholeSource?: boolean;
}

export async function verifySample(sampler: Sampler, destination: DocumentTable, schema: KeySchema, opts: SampleVerifyOptions = {}): Promise<Outcome> {
  await sampler.close();
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
  const measurements = { offered: sampler.offered, sampled: checked, matched: checked - mismatched, ratio: checked === 0 ? 0 : (checked - mismatched) / checked };
  const evidence = { destination: destination.name, mismatches: named };
  if (checked === 0) return emptySample(sampler, destination, schema, opts, evidence, measurements);
  if (mismatched === 0) return pass(`${checked} sampled items have equal canonical hashes on both sides`, evidence, measurements);
  const first = named.slice(0, 5).map((m) => `${JSON.stringify(m.key)} ${m.problem}`).join('; ');
  return fail(`${mismatched} of ${checked} sampled items differ: ${first}`, evidence, measurements);
}

/** Nothing compared proves nothing, unless there was nothing to compare. */
async function emptySample(sampler: Sampler, destination: DocumentTable, schema: KeySchema, opts: SampleVerifyOptions, evidence: Record<string, unknown>, measurements: Record<string, number>): Promise<Outcome> {
  if (sampler.offered > 0) return fail(`0 of ${sampler.offered} items were sampled: nothing was compared`, evidence, measurements);
  if (opts.wholeSource) {
    for await (const held of destination.scan({ signal: opts.signal, pageSize: 1 })) {
      return fail(`the source holds no items while ${destination.name} holds some (${JSON.stringify(keyOf(held, schema))}, …): wrong table, export or permission?`, evidence, measurements);
    }
  }
  return pass('no items to sample: the source holds none', evidence, { ...measurements, ratio: 1 });
}
