/**
 * The in-memory adapters pass the contracts the real ones pass — the object store in each key
 * order, listing as S3 does (UTF-8, no metadata in the listing) and as Blob does (UTF-16, with
 * it); the table as DynamoDB and as Cosmos — and their fault hooks do what they say.
 */
import t from 'tap';
import { Readable } from 'node:stream';
import { canonicalHash } from '../../src/core/canonical.js';
import type { Item } from '../../src/core/items.js';
import type { ItemVersion } from '../../src/core/ports.js';
import { classifyFailure, withRetry, WriteConflictError } from '../../src/core/retry.js';
import { faultErrors } from '../helpers/memory-faults.js';
import { MemoryDocumentTable } from '../helpers/memory-document-table.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';
import { ManualClock } from '../store/temp-store.js';
import { documentTableContract, EVERY_TYPE, IMAGES_SCHEMA } from './document-table.js';
import { compareKeys, objectStoreContract } from './object-store.js';

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const S3_LIKE = { keyOrder: 'utf8', listsMetadata: false } as const;
const BLOB_LIKE = { keyOrder: 'utf16', listsMetadata: true } as const;

for (const { keyOrder, listsMetadata } of [S3_LIKE, BLOB_LIKE]) {
  t.test(`the memory store in ${keyOrder} order passes the ObjectStore contract`, async (t) =>
    objectStoreContract(t, async () => new MemoryObjectStore(`memory://${keyOrder}`, keyOrder, { listsMetadata }), { presigns: false }));
}

for (const behaves of ['dynamodb', 'cosmos'] as const) {
  t.test(`the memory table behaving as ${behaves} passes the DocumentTable contract`, async (t) =>
    documentTableContract(t, async () => new MemoryDocumentTable(`memory-${behaves}`, IMAGES_SCHEMA, { behaves })));
}

t.test('the memory store lists in the order it was given: emoji and U+FF01 change places', async (t) => {
  const keys = ['\uFF01', '😀', 'z', 'é', '\uFFFDx'];
  for (const order of ['utf8', 'utf16'] as const) {
    const store = new MemoryObjectStore(`memory://${order}`, order);
    for (const key of keys) store.add(key);
    const listed: string[] = [];
    for await (const info of store.list()) listed.push(info.key);
    t.strictSame(listed, [...keys].sort(compareKeys(order)), order);
  }
});

t.test('the memory store lists what S3 lists, or what Blob lists', async (t) => {
  for (const { keyOrder, listsMetadata } of [S3_LIKE, BLOB_LIKE]) {
    const store = new MemoryObjectStore('memory://x', keyOrder, { listsMetadata });
    await store.put('k', Readable.from([Buffer.from('x')]), { size: 1, contentType: 'text/plain', metadata: { Owner: 'a' } });
    const [listed] = await collect(store.list());
    const head = await store.head('k');
    t.strictSame(head?.metadata, { owner: 'a' }, 'metadata names lower-cased');
    if (listsMetadata) t.strictSame(listed, head, 'Blob: the listing is the head');
    else t.strictSame(listed, { key: 'k', size: 1, etag: head!.etag, lastModified: head!.lastModified, metadata: {} }, 'S3: size, ETag and time only');
  }
});

t.test('the memory store takes naming rules of its own, after the common ones', async (t) => {
  const store = new MemoryObjectStore('memory://rules', 'utf16', { rejectKey: (key) => (key.endsWith('.') ? 'no final dot' : undefined) });
  t.equal(store.rejectKey('a.'), 'no final dot');
  t.match(store.rejectKey(''), /empty/, 'the common rules first');
  t.equal(store.rejectKey('a'), undefined);
});

t.test('memory table times are whole seconds from its clock; cosmos scans by them and reports versions, dynamodb refuses to', async (t) => {
  const clock = new ManualClock(new Date('2026-03-02T03:00:00.700Z'));
  const cosmos = new MemoryDocumentTable('memory-cosmos', IMAGES_SCHEMA, { behaves: 'cosmos', clock });
  const copied: Item = { imageId: { S: 'a' }, chunkIndex: { N: '1' }, v: { S: 'copied' } };
  await cosmos.bulkWrite([{ type: 'put', item: copied }]);
  clock.advance(1000);
  const since = clock.now();
  const edited: Item = { ...copied, v: { S: 'edited by the application' } };
  cosmos.write(edited, { keepSource: true });
  const created: Item = { imageId: { S: 'b' }, chunkIndex: { N: '1' } };
  cosmos.write(created);

  const versions = new WeakMap<Item, ItemVersion>();
  const changed: Item[] = [];
  for await (const item of cosmos.scan({ changedSince: since, versions })) changed.push(item);
  t.strictSame(changed, [edited, created], 'only what was written since, the second of `since` included');
  t.strictSame(versions.get(changed[0]!), { modified: new Date('2026-03-02T03:00:01.000Z'), sourceHash: canonicalHash(copied) }, 'the application kept the forward copy\'s fingerprint');
  t.strictSame(versions.get(changed[1]!), { modified: new Date('2026-03-02T03:00:01.000Z') }, 'written by the application: no fingerprint');

  const dynamo = new MemoryDocumentTable('memory-dynamodb', IMAGES_SCHEMA, { behaves: 'dynamodb' });
  await t.rejects(collect(dynamo.scan({ changedSince: since })), /cannot list items by write time/);
});

t.test('conditional puts: dynamodb holds them as its adapter does, cosmos refuses them per op', async (t) => {
  const key = { imageId: EVERY_TYPE.imageId!, chunkIndex: EVERY_TYPE.chunkIndex! };
  const dynamo = new MemoryDocumentTable('memory-dynamodb', IMAGES_SCHEMA, { behaves: 'dynamodb' });
  const conflicts = (r: { failed: { conflict?: true; reason: string }[] }) => r.failed.map((f) => [f.conflict, f.reason]);
  t.strictSame((await dynamo.bulkWrite([{ type: 'put', item: EVERY_TYPE, expect: { absent: true } }])).written, 1, 'absent: written');
  const mine: Item = { ...EVERY_TYPE, note: { S: 'carried back' } };
  t.strictSame(conflicts(await dynamo.bulkWrite([{ type: 'put', item: mine, expect: { absent: true } }])), [[true, 'an item with this key appeared on DynamoDB after it was read']]);
  const read = { ...EVERY_TYPE, tags: { SS: ['', 'blue', 'red'] } };
  t.equal((await dynamo.bulkWrite([{ type: 'put', item: mine, expect: { equals: read } }])).written, 1, 'equals the version read, sets in another order: written');
  const stale = { ...EVERY_TYPE, note: { S: 'read before it was carried back' } };
  t.strictSame(conflicts(await dynamo.bulkWrite([{ type: 'put', item: { ...mine, v: { S: 'late' } }, expect: { equals: stale } }])), [[true, 'the item changed on DynamoDB after it was read']]);
  t.strictSame((await dynamo.bulkWrite([{ type: 'put', item: mine, expect: { absent: true } }])).failed, [], 'exactly what was put: its own earlier attempt');
  t.strictSame(await dynamo.get(key), mine);
  t.strictSame(conflicts(await dynamo.bulkWrite([{ type: 'delete', item: key, expect: { absent: true } }])), [[undefined, 'only a put takes a condition']]);

  const cosmos = new MemoryDocumentTable('memory-cosmos', IMAGES_SCHEMA, { behaves: 'cosmos' });
  const result = await cosmos.bulkWrite([{ type: 'put', item: key, expect: { absent: true } }, { type: 'put', item: { ...key, chunkIndex: { N: '8' } } }, { type: 'delete', item: { ...key, chunkIndex: { N: '9' } } }]);
  t.match(result, { written: 1, created: 1, deleted: 1, absent: 1 });
  t.strictSame(conflicts(result), [[undefined, 'memory-cosmos takes no conditional writes']]);
});

t.test('fault hooks: fail', async (t) => {
  const store = new MemoryObjectStore('memory://faults');
  store.add('a.txt', 'a');
  store.add('b.txt', 'b');
  store.faults.fail('head', faultErrors.throttling());
  await t.rejects(store.head('a.txt'), { name: 'SlowDown' }, 'the next call throws the error given');
  t.ok(await store.head('a.txt'), 'once only, by default');

  store.faults.fail('get', faultErrors.timeout(), { times: 2, key: 'b.txt' });
  t.ok(await store.get('a.txt'), 'another key is not touched');
  await t.rejects(store.get('b.txt'), { code: 'ETIMEDOUT' });
  await t.rejects(store.get('b.txt'), { code: 'ETIMEDOUT' });
  t.ok(await store.get('b.txt'), 'times: 2, then used up');

  store.faults.fail('put', faultErrors.network(), { times: Infinity });
  for (let i = 0; i < 3; i++) await t.rejects(store.put('c.txt', Readable.from([Buffer.from('c')]), { size: 1 }), { code: 'ECONNRESET' });
  t.equal(await store.head('c.txt'), undefined, 'a failed put wrote nothing');
  store.faults.clear();
  t.ok(await store.put('c.txt', Readable.from([Buffer.from('c')]), { size: 1 }), 'cleared');
  t.equal(store.faults.calls('put'), 4, 'every call counted, faulted ones included');

  const table = new MemoryDocumentTable('memory-dynamodb', IMAGES_SCHEMA, { behaves: 'dynamodb' });
  table.faults.fail('bulkWrite', faultErrors.throttling());
  const item: Item = { imageId: { S: 'x' }, chunkIndex: { N: '1' } };
  await t.rejects(table.bulkWrite([{ type: 'put', item }]), { name: 'SlowDown' });
  t.equal(await table.count(), 0, 'a failed bulk write wrote nothing');
  table.faults.fail('scan', faultErrors.auth());
  await t.rejects(collect(table.scan()), { name: 'AccessDenied' });
});

t.test('fault hooks: the errors fall in the failure classes they are named after, and the retry policy treats them so', async (t) => {
  t.strictSame(Object.entries(faultErrors).map(([name, make]) => [name, classifyFailure(make())]), [
    ['throttling', 'throttling'], ['timeout', 'timeout'], ['network', 'network'], ['auth', 'auth'],
  ]);
  const store = new MemoryObjectStore('memory://retried');
  store.add('a.txt');
  const policy = { attempts: 6, baseDelayMs: 1, maxDelayMs: 5 };
  store.faults.fail('head', faultErrors.throttling(), { times: 3 });
  t.ok(await withRetry(() => store.head('a.txt'), { policy }), 'throttled three times, then answered');
  store.faults.fail('head', faultErrors.auth());
  await t.rejects(withRetry(() => store.head('a.txt'), { policy }), { name: 'AccessDenied' }, 'auth: not retried');
  t.equal(store.faults.calls('head'), 5);
});

t.test('fault hooks: stall', async (t) => {
  const store = new MemoryObjectStore('memory://stalls');
  const stall = store.faults.stall('put', { times: Infinity });
  let landed = false;
  const putting = store.put('a.txt', Readable.from([Buffer.from('a')]), { size: 1 }).then(() => void (landed = true));
  await stall.reached;
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(landed, false, 'the put waits');
  t.equal(stall.waiting, 1);
  t.equal(await store.head('a.txt'), undefined, 'and has written nothing');
  stall.release();
  await putting;
  t.ok(await store.head('a.txt'), 'released: it goes on');
  t.ok(await store.put('b.txt', Readable.from([Buffer.from('b')]), { size: 1 }), 'and so does every later call the hook takes');

  const refused = store.faults.stall('delete');
  const deleting = store.delete('a.txt');
  await refused.reached;
  refused.release(faultErrors.timeout());
  await t.rejects(deleting, { code: 'ETIMEDOUT' }, 'released with an error: the call throws it');
  t.ok(await store.head('a.txt'), 'and deleted nothing');

  const hung = store.faults.stall('get');
  const aborter = new AbortController();
  const getting = store.get('a.txt', aborter.signal);
  await hung.reached;
  aborter.abort(new Error('deadline'));
  await t.rejects(getting, { message: 'deadline' }, 'a stalled call given a signal ends when it is aborted');
  t.equal(hung.waiting, 0);

  const table = new MemoryDocumentTable('memory-cosmos', IMAGES_SCHEMA, { behaves: 'cosmos' });
  const counting = table.faults.stall('count');
  const counted = table.count();
  await counting.reached;
  counting.release();
  t.equal(await counted, 0, 'tables stall alike');
});

t.test('fault hooks: a listing that lies', async (t) => {
  const store = new MemoryObjectStore('memory://lies', 'utf8');
  for (const key of ['a', 'b', 'c']) store.add(key);
  store.listed = (keys) => keys.slice(0, 2);
  t.strictSame((await collect(store.list())).map((o) => o.key), ['a', 'b'], 'a listing that ends early');
  store.listed = (keys) => [...keys].reverse();
  t.strictSame((await collect(store.list())).map((o) => o.key), ['c', 'b', 'a'], 'or goes backwards');
});

t.test('a conditional put into the memory store is refused as the real ones are', async (t) => {
  const store = new MemoryObjectStore('memory://conditions');
  const first = store.add('a.txt', 'first');
  const error = await store.put('a.txt', Readable.from([Buffer.from('x')]), { size: 1, ifNoneMatch: '*' }).catch((err: unknown) => err);
  t.type(error, WriteConflictError);
  t.equal((error as Error).message, 'memory://conditions/a.txt was not written: its condition If-None-Match * did not hold (an object already has the key)');
  t.equal((await store.head('a.txt'))?.etag, first.etag, 'untouched');
});
