/**
 * The DocumentTable contract: one suite, every adapter passes it.
 * `make` returns a table over a fresh, empty table or container with the `images` schema.
 */
import type { Test } from 'tap';
import { canonicalHash } from '../../src/core/canonical.js';
import type { Item, KeySchema } from '../../src/core/items.js';
import type { BulkWriteResult, DocumentTable } from '../../src/core/ports.js';

export type TableFactory = (t: Test) => Promise<DocumentTable>;

export const IMAGES_SCHEMA: KeySchema = { hashKey: { name: 'imageId', type: 'S' }, rangeKey: { name: 'chunkIndex', type: 'N' } };

const b64 = (...bytes: number[]) => Buffer.from(bytes).toString('base64');

/** Every DynamoDB attribute type, numbers already in DynamoDB's normal form. */
export const EVERY_TYPE: Item = {
  imageId: { S: 'img/é 😀?#\\' },
  chunkIndex: { N: '7' },
  content: { B: b64(0, 1, 2, 253, 254, 255) },
  emptyString: { S: '' },
  big: { N: '12345678901234567890123456789012345678' },
  negative: { N: '-98765432109876543210.123456789012345678' },
  ratio: { N: '0.5' },
  tags: { SS: ['red', 'blue', ''] },
  sizes: { NS: ['1', '99999999999999999999999999999999999999', '2.5'] },
  blobs: { BS: [b64(1), b64(2, 3)] },
  nothing: { NULL: true },
  yes: { BOOL: true },
  no: { BOOL: false },
  list: { L: [{ S: 'x' }, { N: '1' }, { SS: ['in', 'list'] }, { L: [] }, { M: {} }, { NULL: true }] },
  nested: { M: { 'a/b~c': { NS: ['7', '8'] }, inner: { M: { bin: { B: b64(9) }, deeper: { M: { set: { BS: [b64(4)] } } } } } } },
  id: { S: 'an attribute called id' },
  _t: { S: 'an attribute called _t' },
};

const row = (i: number): Item => ({ imageId: { S: `image-${i % 17}` }, chunkIndex: { N: String(i) }, content: { B: b64(i % 256) }, size: { N: String(i * 10) } });
const keyOfRow = (i: number): Item => ({ imageId: { S: `image-${i % 17}` }, chunkIndex: { N: String(i) } });

/** The counts every adapter reports; `created` and `absent` are optional extras of some stores. */
const counts = ({ written, deleted, failed }: BulkWriteResult) => ({ written, deleted, failed });

export function documentTableContract(t: Test, make: TableFactory): void {
  t.test('key schema', async (t) => {
    const table = await make(t);
    t.strictSame(await table.keySchema(), IMAGES_SCHEMA);
  });

  t.test('every attribute type round trips exactly', async (t) => {
    const table = await make(t);
    const result = await table.bulkWrite([{ type: 'put', item: EVERY_TYPE }]);
    t.strictSame(counts(result), { written: 1, deleted: 0, failed: [] });
    const back = await table.get({ imageId: EVERY_TYPE.imageId!, chunkIndex: EVERY_TYPE.chunkIndex! });
    t.ok(back, 'found by key');
    t.equal(canonicalHash(back!), canonicalHash(EVERY_TYPE), 'canonical hashes equal');
    const { tags, sizes, blobs, ...ordered } = back!;
    const { tags: t0, sizes: s0, blobs: b0, ...expected } = EVERY_TYPE;
    t.strictSame(ordered, expected, 'every attribute but the sets exactly (sets have no order)');
    t.strictSame(['SS' in tags!, 'NS' in sizes!, 'BS' in blobs!], [true, true, true], 'sets stay sets');
    t.strictSame([t0, s0, b0].map((s) => Object.values(s!)[0].length), [tags, sizes, blobs].map((s) => Object.values(s!)[0].length));
  });

  t.test('bulk write, count, paged scan, get, delete', async (t) => {
    const table = await make(t);
    const n = 300;
    const written = await table.bulkWrite(Array.from({ length: n }, (_, i) => ({ type: 'put' as const, item: row(i) })));
    t.strictSame(counts(written), { written: n, deleted: 0, failed: [] });
    t.equal(await table.count(), n, 'count by reading');
    const seen = new Map<string, number>();
    for await (const item of table.scan({ pageSize: 40, segments: 3 })) {
      const k = `${item.imageId && 'S' in item.imageId ? item.imageId.S : '?'}|${item.chunkIndex && 'N' in item.chunkIndex ? item.chunkIndex.N : '?'}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    t.equal(seen.size, n, 'every item scanned');
    t.ok([...seen.values()].every((c) => c === 1), 'each exactly once');
    t.strictSame(await table.get(keyOfRow(42)), row(42));
    t.equal(await table.get({ imageId: { S: 'image-0' }, chunkIndex: { N: '1' } }), undefined, 'a missing key is undefined');
    const deleted = await table.bulkWrite(Array.from({ length: 10 }, (_, i) => ({ type: 'delete' as const, item: keyOfRow(i) })));
    t.strictSame(counts(deleted), { written: 0, deleted: 10, failed: [] });
    t.equal(await table.count(), n - 10);
    t.equal(await table.get(keyOfRow(3)), undefined);
    t.strictSame(counts(await table.bulkWrite([{ type: 'delete', item: keyOfRow(3) }])), { written: 0, deleted: 1, failed: [] }, 'deleting a missing item is fine');
  });

  t.test('two operations on one key land in order', async (t) => {
    const table = await make(t);
    const result = await table.bulkWrite([
      { type: 'put', item: { ...row(1), v: { S: 'first' } } },
      { type: 'put', item: { ...row(1), v: { S: 'second' } } },
      { type: 'put', item: row(2) },
      { type: 'delete', item: keyOfRow(2) },
    ]);
    t.strictSame(counts(result), { written: 3, deleted: 1, failed: [] });
    t.strictSame((await table.get(keyOfRow(1)))?.v, { S: 'second' });
    t.equal(await table.get(keyOfRow(2)), undefined);
  });

  t.test('the longest hash keys DynamoDB accepts are written, read and deleted by key; keys alike for 2047 bytes stay apart', async (t) => {
    const table = await make(t);
    const item = (imageId: string): Item => ({ imageId: { S: imageId }, chunkIndex: { N: '1' }, v: { S: imageId.slice(-1) } });
    const key = (i: Item): Item => ({ imageId: i.imageId!, chunkIndex: i.chunkIndex! });
    const longest = item('ü'.repeat(1024));
    const [a, b] = [item(`${'ü'.repeat(1023)}a`), item(`${'ü'.repeat(1023)}b`)];
    t.equal(Buffer.byteLength((longest.imageId as { S: string }).S), 2048, 'DynamoDB\'s limit');
    const written = await table.bulkWrite([longest, a, b].map((i) => ({ type: 'put' as const, item: i })));
    t.strictSame(counts(written), { written: 3, deleted: 0, failed: [] });
    for (const i of [longest, a, b]) t.strictSame(await table.get(key(i)), i);
    t.equal(await table.count(), 3, 'three items, not two');
    t.strictSame(counts(await table.bulkWrite([{ type: 'delete', item: key(a) }])), { written: 0, deleted: 1, failed: [] });
    t.equal(await table.get(key(a)), undefined);
    t.strictSame(await table.get(key(b)), b, 'its look-alike stays');
  });

  t.test('an oversize item is reported with its reason; the rest is written', async (t) => {
    const table = await make(t);
    const huge: Item = { ...row(1000), blob: { S: 'x'.repeat(2 * 1024 * 1024 + 1) } };
    const keyless: Item = { chunkIndex: { N: '1' } };
    const result = await table.bulkWrite([
      { type: 'put', item: row(1) },
      { type: 'put', item: huge },
      { type: 'put', item: keyless },
      { type: 'put', item: row(2) },
    ]);
    t.equal(result.written, 2);
    t.equal(result.failed.length, 2);
    t.equal(result.failed[0]?.op.item, huge);
    t.match(result.failed[0]?.reason, /bytes.*at most/);
    t.match(result.failed[1]?.reason, /imageId/);
    t.equal(await table.count(), 2);
  });
}
