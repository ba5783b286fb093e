/** The merge join under the objects engine: key orders, classification, and stores that sort alike or not. */
import t from 'tap';
import { Readable } from 'node:stream';
import type { KeyOrder, ObjectInfo, ObjectStore } from '../../src/core/ports.js';
import { classifyFailure, SafetyError } from '../../src/core/retry.js';
import { compareUtf16, compareUtf8, isOrderSensitive, ListingOrderError, mergeJoin, walkStores, type Joined } from '../../src/sync/merge.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';
// Deterministic, so a failure can be replayed: the lab's own seeded generator.
import { prng } from '../../lab/seed.js';

const ALPHABETS: Array<[number, number]> = [
  [0x20, 0x7e], // ASCII
  [0xe9, 0xff], // Latin-1
  [0x4e00, 0x4e40], // CJK
  [0xe000, 0xe010], // private use (just above the surrogates)
  [0xff00, 0xffef], // full-width forms
  [0xfff0, 0xfffd],
  [0x1f600, 0x1f640], // emoji (astral: a surrogate pair in UTF-16)
  [0x10000, 0x10010],
];

function randomKey(next: () => number): string {
  const length = 1 + Math.floor(next() * 6);
  let key = '';
  for (let i = 0; i < length; i++) {
    const [lo, hi] = ALPHABETS[Math.floor(next() * ALPHABETS.length)]!;
    key += String.fromCodePoint(lo + Math.floor(next() * (hi - lo + 1)));
  }
  return key;
}

const sign = (n: number) => Math.sign(n);

t.test('compareUtf8 is the byte order of UTF-8, compareUtf16 is JavaScript order', async (t) => {
  const next = prng(42);
  const keys = Array.from({ length: 3000 }, () => randomKey(next));
  keys.push('a\u{1F600}', 'a\uFF01', 'a\uE000', 'a', 'ab', '\uFFFD', '\u{10000}');
  let utf8Mismatch = 0;
  let utf16Mismatch = 0;
  let ordersDiffer = 0;
  for (let i = 0; i < 20_000; i++) {
    const a = keys[Math.floor(next() * keys.length)]!;
    const b = keys[Math.floor(next() * keys.length)]!;
    const bytes = sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    const js = a < b ? -1 : a > b ? 1 : 0;
    if (sign(compareUtf8(a, b)) !== bytes) utf8Mismatch++;
    if (sign(compareUtf16(a, b)) !== js) utf16Mismatch++;
    if (bytes !== js) ordersDiffer++;
  }
  t.equal(utf8Mismatch, 0, 'compareUtf8 agrees with Buffer.compare of the UTF-8 bytes');
  t.equal(utf16Mismatch, 0, 'compareUtf16 agrees with < and >');
  t.ok(ordersDiffer > 0, 'the corpus holds pairs on which the two orders disagree');

  const sorted8 = [...keys].sort(compareUtf8);
  const byBytes = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  t.same(sorted8, byBytes, 'sorting by compareUtf8 gives the byte order');
  t.ok(compareUtf8('a\u{1F600}', 'a\uFF01') > 0, 'an emoji sorts after U+FF01 in UTF-8');
  t.ok(compareUtf16('a\u{1F600}', 'a\uFF01') < 0, '…and before it in UTF-16');
});

t.test('isOrderSensitive marks exactly the keys whose place can differ', async (t) => {
  t.ok(isOrderSensitive('a\u{1F600}'));
  t.ok(isOrderSensitive('a\uFF01'));
  t.notOk(isOrderSensitive('日本/é.txt'), 'CJK and Latin-1 sort alike in both orders');
  t.notOk(isOrderSensitive('a b+c%d#e?f'));
});

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const k = (key: string) => ({ key });
const describe = (pair: Joined<{ key: string }>) =>
  pair.kind === 'source-only' ? `+${pair.source.key}` : pair.kind === 'destination-only' ? `-${pair.destination.key}` : `=${pair.source.key}`;

t.test('mergeJoin classifies source-only, destination-only and match', async (t) => {
  const pairs = await collect(mergeJoin(from(['a', 'b', 'd', 'f'].map(k)), from(['b', 'c', 'd', 'e', 'g'].map(k)), compareUtf16));
  t.same(pairs.map(describe), ['+a', '=b', '-c', '=d', '-e', '+f', '-g']);
  t.same((await collect(mergeJoin(from([]), from(['x'].map(k)), compareUtf16))).map(describe), ['-x']);
  t.same((await collect(mergeJoin(from(['x'].map(k)), from([]), compareUtf16))).map(describe), ['+x']);
});

t.test('a listing that goes backwards raises ListingOrderError, a safety failure', async (t) => {
  const error = await collect(mergeJoin(from(['a', 'c', 'b'].map(k)), from([]), compareUtf16, { source: 's3://site', destination: 'blob://$web' })).catch((err: unknown) => err);
  t.ok(error instanceof SafetyError, 'a SafetyError: never retried, no delete follows');
  t.equal(classifyFailure(error), 'safety');
  t.match((error as Error).message, 'listing of s3://site went backwards at key "b" after "c"');
  await t.rejects(collect(mergeJoin(from(['a', 'c', 'b'].map(k)), from([]), compareUtf16)), ListingOrderError);
  await t.rejects(collect(mergeJoin(from(['a'].map(k)), from(['b', 'b'].map(k)), compareUtf16)), ListingOrderError, 'a repeated key too');
  // Sorted in UTF-16 but read as UTF-8: the emoji comes too early.
  await t.rejects(collect(mergeJoin(from(['a\u{1F600}', 'a\uFF01'].map(k)), from([]), compareUtf8)), ListingOrderError);
});

/** A store held in memory that lists in its own key order: enough to drive walkStores. */
class MemoryStore implements ObjectStore {
  readonly listsMetadata = true;
  readonly heads: string[] = [];
  constructor(readonly name: string, readonly keyOrder: KeyOrder, private readonly keys: string[]) {}
  rejectKey(): undefined {
    return undefined;
  }
  private info(key: string): ObjectInfo {
    return { key, size: key.length, lastModified: new Date(0), metadata: {} };
  }
  async *list(): AsyncIterable<ObjectInfo> {
    const sorted = [...this.keys].sort(this.keyOrder === 'utf8' ? (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)) : compareUtf16);
    for (const key of sorted) yield this.info(key);
  }
  async head(key: string): Promise<ObjectInfo | undefined> {
    this.heads.push(key);
    return this.keys.includes(key) ? this.info(key) : undefined;
  }
  async get(key: string) {
    return { info: this.info(key), body: Readable.from([]) };
  }
  async put(key: string): Promise<ObjectInfo> {
    return this.info(key);
  }
  async delete(): Promise<void> {}
}

async function walk(source: ObjectStore, destination: ObjectStore): Promise<string[]> {
  const seen: string[] = [];
  await walkStores(source, destination, async (pair) => void seen.push(describe(pair)));
  return seen.sort();
}

t.test('walkStores classifies order-sensitive keys right when the stores sort differently', async (t) => {
  const tricky = ['a\u{1F600}', 'a\uFF01', 'a', 'ab'];
  const source = new MemoryStore('s3', 'utf8', [...tricky, 'only-src', 'z\u{1F600}']);
  const destination = new MemoryStore('blob', 'utf16', [...tricky, 'only-dst', 'z\uFF01']);
  const seen = await walk(source, destination);
  t.same(seen, ['+only-src', '+z\u{1F600}', '-only-dst', '-z\uFF01', '=a', '=a\u{1F600}', '=a\uFF01', '=ab'].sort(), 'every key classified once, rightly');
  t.ok(destination.heads.includes('a\u{1F600}'), 'an order-sensitive source key is settled by a head on the destination');
  t.notOk(destination.heads.includes('ab'), 'plain keys are merged, not looked up');

  const reverse = await walk(destination, source);
  t.same(reverse, ['+only-dst', '+z\uFF01', '-only-src', '-z\u{1F600}', '=a', '=a\u{1F600}', '=a\uFF01', '=ab'].sort(), 'and the other way round');
});

t.test('walkStores merges stores that sort alike without a single head', async (t) => {
  const source = new MemoryStore('a', 'utf16', ['a\u{1F600}', 'a\uFF01', 'b']);
  const destination = new MemoryStore('b', 'utf16', ['a\u{1F600}', 'c']);
  t.same(await walk(source, destination), ['+a\uFF01', '+b', '-c', '=a\u{1F600}'].sort());
  t.same(destination.heads, []);
});

t.test('walkStores checks each listing whole in its own order, the keys set aside included', async (t) => {
  const source = new MemoryObjectStore('s3://uploads', 'utf8');
  const destination = new MemoryObjectStore('blob://uploads', 'utf16');
  for (const key of ['a', 'b\u{1F600}', 'b\uFF01', 'c']) {
    source.add(key);
    destination.add(key);
  }
  // Sorted by UTF-16 where S3 sorts by UTF-8: the emoji comes too early. Both keys are set
  // aside from the merge, so only the check of the whole listing can see it.
  source.listed = (keys) => [...keys].sort(compareUtf16);
  const error = await walkStores(source, destination, async () => {}).catch((err: unknown) => err);
  t.ok(error instanceof ListingOrderError, 'refused');
  t.match((error as Error).message, 'listing of s3://uploads went backwards at key "b\uFF01" after "b\u{1F600}"');
  source.listed = undefined;
  await t.resolves(walkStores(source, destination, async () => {}), 'in its own order, the same listing passes');
});
