/** The hash-sampling proof never passes on nothing compared, unless there was nothing to compare. */
import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalForm } from '../../src/core/canonical.js';
import { keyOf, type Item, type KeySchema } from '../../src/core/items.js';
import type { BulkWriteOp, BulkWriteResult, DocumentTable } from '../../src/core/ports.js';
import { Sampler, verifySample } from '../../src/sync/sample.js';

const SCHEMA: KeySchema = { hashKey: { name: 'id', type: 'S' } };
const item = (i: number): Item => ({ id: { S: `item-${i}` }, n: { N: String(i) } });

/** A DocumentTable in memory, enough for the sample's reads. */
class MemoryTable implements DocumentTable {
  readonly items = new Map<string, Item>();
  constructor(readonly name: string, items: Item[] = []) {
    for (const i of items) this.items.set(canonicalForm(keyOf(i, SCHEMA)), i);
  }
  async keySchema(): Promise<KeySchema> {
    return SCHEMA;
  }
  async *scan(): AsyncIterable<Item> {
    yield* this.items.values();
  }
  async bulkWrite(ops: BulkWriteOp[]): Promise<BulkWriteResult> {
    for (const op of ops) {
      if (op.type === 'put') this.items.set(canonicalForm(keyOf(op.item, SCHEMA)), op.item);
      else this.items.delete(canonicalForm(keyOf(op.item, SCHEMA)));
    }
    return { written: ops.filter((o) => o.type === 'put').length, deleted: ops.filter((o) => o.type === 'delete').length, failed: [] };
  }
  async count(): Promise<number> {
    return this.items.size;
  }
  async get(key: Item): Promise<Item | undefined> {
    return this.items.get(canonicalForm(key));
  }
}

async function sampled(t: Test, offered: Item[], ratio: number, random?: () => number): Promise<Sampler> {
  const dir = await mkdtemp(join(tmpdir(), 'drsentinel-sample-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const sampler = new Sampler(join(dir, 'sample.jsonl'), ratio, random);
  for (const i of offered) await sampler.offer(i);
  await sampler.close();
  return sampler;
}

t.test('3 items at a 10 % ratio: at least one is sampled and compared', async (t) => {
  const items = [item(1), item(2), item(3)];
  // The unluckiest draw: every item falls outside the ratio.
  const sampler = await sampled(t, items, 0.1, () => 0.99);
  t.equal(sampler.offered, 3);
  t.equal(sampler.size, 1, 'one item kept all the same');
  const result = await verifySample(sampler, new MemoryTable('cosmos://t', items), SCHEMA);
  t.equal(result.status, 'pass', result.reason);
  t.equal(result.measurements.sampled, 1);

  for (let run = 0; run < 50; run++) t.ok((await sampled(t, items, 0.1)).size >= 1, `random run ${run}: at least one sampled`);
});

t.test('the item kept when none was sampled is drawn from all those offered', async (t) => {
  const seen = new Set<string>();
  // A ratio of 0 never samples: every run keeps its one fallback item. 200 runs miss one of
  // three items with a probability below 1e-34.
  for (let run = 0; run < 200; run++) {
    for await (const kept of (await sampled(t, [item(1), item(2), item(3)], 0)).items()) seen.add((kept.id as { S: string }).S);
  }
  t.same([...seen].sort(), ['item-1', 'item-2', 'item-3'], 'not always the first item');
});

t.test('a sampled item missing at the destination fails: the fallback item is checked like any', async (t) => {
  const sampler = await sampled(t, [item(1)], 0);
  const result = await verifySample(sampler, new MemoryTable('cosmos://t'), SCHEMA);
  t.equal(result.status, 'fail');
  t.match(result.reason, /1 of 1 sampled items differ: .*item-1.*missing at cosmos:\/\/t/);
});

t.test('nothing offered: passes saying so; for a whole source, only beside an empty destination', async (t) => {
  const empty = await sampled(t, [], 0.1);
  const none = await verifySample(empty, new MemoryTable('cosmos://t', [item(1)]), SCHEMA);
  t.equal(none.status, 'pass', 'changes only: none is a fine answer');
  t.equal(none.reason, 'no items to sample: the source holds none');

  const full = await verifySample(empty, new MemoryTable('cosmos://t', [item(1)]), SCHEMA, { wholeSource: true });
  t.equal(full.status, 'fail');
  t.match(full.reason, /the source holds no items while cosmos:\/\/t holds some/);
  t.equal(full.measurements.ratio, 0);

  const both = await verifySample(empty, new MemoryTable('cosmos://t'), SCHEMA, { wholeSource: true });
  t.equal(both.status, 'pass');
  t.equal(both.reason, 'no items to sample: the source holds none');
});
