/**
 * The ObjectStore contract: one suite, every adapter passes it (the rclone way).
 * `make` returns a store over a fresh, empty bucket or container.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Test } from 'tap';
import { NotFoundError } from '../../src/core/errors.js';
import type { KeyOrder, ObjectInfo, ObjectStore, PutOptions } from '../../src/core/ports.js';
import { classifyFailure, WriteConflictError } from '../../src/core/retry.js';

export type StoreFactory = (t: Test) => Promise<ObjectStore>;

/** What a suite declares of its store, so that a missing capability fails instead of passing unseen. */
export interface StoreTraits {
  presigns: boolean;
}

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

async function bytesOf(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Delivers the bytes in small irregular chunks, as a network stream would. */
function streamOf(bytes: Buffer): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= bytes.length) return void this.push(null);
      const size = 1000 + (offset % 65_536);
      this.push(bytes.subarray(offset, offset + size));
      offset += size;
    },
  });
}

/** Whole seconds: what the sync's fingerprint keeps of a time. */
const seconds = (date: Date | undefined) => (date ? Math.floor(date.getTime() / 1000) : undefined);

async function listedAs(store: ObjectStore, key: string): Promise<ObjectInfo | undefined> {
  for await (const info of store.list({ prefix: key })) if (info.key === key) return info;
  return undefined;
}

function put(store: ObjectStore, key: string, bytes: Buffer, opts: Partial<PutOptions> = {}) {
  return store.put(key, streamOf(bytes), { size: bytes.length, ...opts });
}

export function compareKeys(order: KeyOrder): (a: string, b: string) => number {
  return order === 'utf8' ? (a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) : (a, b) => (a < b ? -1 : a > b ? 1 : 0);
}

/** Keys that break naive encoders and sorters: spaces, `+`, `%`, `#`, accents, CJK, emoji, U+E000–U+FFFF. */
export const TRICKY_KEYS = [
  'a b', 'a+b', 'a%2Fb', 'a%b', '#hash', '?query', 'é', 'e', 'f', '日本', '日本/語.txt', '😀x', '😀/y', '\uE000', '\uFF01bang',
  'deep/a/b/c/d/e/f/g.html', 'deep/a/index.html', 'deep/b', 'Z', 'z', '0', '~tilde', "it's", 'x=1&y=2', 'semi;colon', '[brackets]',
];

/** The error a put ended with; fails the test when it succeeded. */
async function refusal(t: Test, putting: Promise<ObjectInfo>, label: string): Promise<unknown> {
  try {
    await putting;
  } catch (error) {
    return error;
  }
  t.fail(`${label}: the put went through`);
  return undefined;
}

export function objectStoreContract(t: Test, make: StoreFactory, traits: StoreTraits): void {
  t.test('round trip streams bytes, MD5, content headers and user metadata', async (t) => {
    const store = await make(t);
    const headers = { contentType: 'text/html; charset=utf-8', cacheControl: 'max-age=60', contentEncoding: 'identity', contentDisposition: 'inline; filename="a b.html"' };
    const metadata = { 'source-etag': '"abc-2"', drsentinel_fingerprint: 'md5:0123', 'a.b': 'dotted', plain: 'x' };
    for (const [label, size] of [['0 bytes', 0], ['1 byte', 1], ['6 MiB (several parts/blocks)', 6 * 1024 * 1024 + 17]] as const) {
      const key = `round/${label} é+#.bin`;
      const bytes = randomBytes(size);
      const stored = await put(store, key, bytes, { ...headers, metadata });
      t.equal(stored.size, size, `${label}: size`);
      t.equal(stored.md5, md5(bytes), `${label}: the store vouches for the content MD5`);
      const head = await store.head(key);
      t.equal(head?.md5, md5(bytes), `${label}: head reports the MD5`);
      t.strictSame({ ...stored, lastModified: seconds(stored.lastModified) }, { ...head, lastModified: seconds(head?.lastModified) }, `${label}: put returns what head reports`);
      const listed = await listedAs(store, key);
      t.equal(seconds(listed?.lastModified), seconds(stored.lastModified), `${label}: the listing has the time put returned, to the second`);
      t.equal(listed?.etag?.replace(/"/g, ''), stored.etag?.replace(/"/g, ''), `${label}: and its ETag`);
      t.same(head?.metadata, metadata, `${label}: user metadata preserved exactly`);
      t.match(head, headers, `${label}: content headers preserved`);
      const got = await store.get(key);
      t.equal(md5(await bytesOf(got.body)), md5(bytes), `${label}: bytes read back intact`);
      t.match(got.info, { size, md5: md5(bytes), ...headers }, `${label}: get reports what head does`);
    }
  });

  t.test('a missing key: head is undefined, get is NotFound', async (t) => {
    const store = await make(t);
    t.equal(await store.head('nope/missing'), undefined);
    await t.rejects(store.get('nope/missing'), NotFoundError);
  });

  t.test('listing is sorted in the declared key order, paged, every key exactly once', async (t) => {
    const store = await make(t);
    const keys = TRICKY_KEYS.filter((k) => store.rejectKey(k) === undefined);
    t.ok(keys.length >= 24, `${keys.length} of the tricky keys are acceptable to ${store.name}`);
    for (const key of keys) await put(store, key, Buffer.from(key));
    const listed: string[] = [];
    for await (const info of store.list({ pageSize: 7 })) {
      listed.push(info.key);
      t.equal(info.size, Buffer.byteLength(info.key), `size of ${info.key}`);
      if (store.listsMetadata) t.equal(info.md5, md5(Buffer.from(info.key)), `md5 of ${info.key} in the listing`);
    }
    t.strictSame(listed, [...keys].sort(compareKeys(store.keyOrder)), `${store.keyOrder} order, each key once`);
    const deep: string[] = [];
    for await (const info of store.list({ prefix: 'deep/', pageSize: 2 })) deep.push(info.key);
    t.strictSame(deep, ['deep/a/b/c/d/e/f/g.html', 'deep/a/index.html', 'deep/b']);
  });

  t.test('delete removes; deleting a missing key is fine', async (t) => {
    const store = await make(t);
    await put(store, 'gone soon', Buffer.from('x'));
    await store.delete('gone soon');
    t.equal(await store.head('gone soon'), undefined);
    await t.resolves(store.delete('gone soon'));
    await t.resolves(store.delete('never/existed'));
  });

  t.test('a put whose bytes do not match the announced MD5 or size is refused and the old version stays', async (t) => {
    const store = await make(t);
    for (const size of [10, 6 * 1024 * 1024]) {
      const key = `guarded-${size}`;
      const good = randomBytes(size);
      await put(store, key, good);
      const other = randomBytes(size);
      await t.rejects(put(store, key, other, { md5: md5(good) }), `${size} bytes: wrong MD5 refused`);
      await t.rejects(store.put(key, streamOf(other), { size: size + 1 }), `${size} bytes: short body refused`);
      const head = await store.head(key);
      t.equal(head?.md5, md5(good), `${size} bytes: the previous version is intact`);
      t.equal(md5(await bytesOf((await store.get(key)).body)), md5(good));
    }
  });

  t.test('a put with the right MD5 announced is accepted', async (t) => {
    const store = await make(t);
    const bytes = randomBytes(6 * 1024 * 1024 + 1);
    const stored = await put(store, 'announced', bytes, { md5: md5(bytes) });
    t.equal(stored.md5, md5(bytes));
  });

  t.test('rejectKey gives a reason for keys the store cannot hold', async (t) => {
    const store = await make(t);
    t.match(store.rejectKey(''), /empty/);
    t.match(store.rejectKey('x'.repeat(1025)), /1024/);
    t.match(store.rejectKey('a\uD800b'), /surrogate/);
    t.equal(store.rejectKey('site/index.html'), undefined);
    t.equal(store.rejectKey('x'.repeat(1024)), undefined);
  });

  t.test('conditional puts: If-None-Match * only creates, If-Match only replaces the version read', async (t) => {
    const store = await make(t);
    for (const size of [10, 6 * 1024 * 1024 + 17]) {
      const key = `conditional/${size} é+#.bin`;
      const first = randomBytes(size);
      t.equal((await put(store, key, first, { ifNoneMatch: '*' })).md5, md5(first), `${size} bytes: If-None-Match * creates a new key`);
      const taken = await refusal(t, put(store, key, randomBytes(size), { ifNoneMatch: '*' }), `${size} bytes: If-None-Match * over an object`);
      t.type(taken, WriteConflictError, `${size} bytes: If-None-Match * over an object is a conflict`);
      t.equal(classifyFailure(taken), 'conflict');
      t.match((taken as Error).message, key, 'the conflict names the key');
      t.match((taken as Error).message, 'If-None-Match *', 'and the condition');

      const read = await store.head(key);
      t.equal(read?.md5, md5(first), `${size} bytes: the object If-None-Match * found is untouched`);
      const second = randomBytes(size);
      const replaced = await put(store, key, second, { ifMatch: read!.etag! });
      t.equal(replaced.md5, md5(second), `${size} bytes: If-Match of the current ETag replaces`);
      const stale = await refusal(t, put(store, key, randomBytes(size), { ifMatch: read!.etag! }), `${size} bytes: If-Match of a stale ETag`);
      t.type(stale, WriteConflictError, `${size} bytes: If-Match of a stale ETag is a conflict`);
      t.match((stale as Error).message, `If-Match ${read!.etag!}`, 'naming the ETag it expected');
      t.equal((await store.head(key))?.md5, md5(second), `${size} bytes: the object is unchanged`);
      t.equal(md5(await bytesOf((await store.get(key)).body)), md5(second), `${size} bytes: its bytes too`);
    }
    const gone = await refusal(t, put(store, 'conditional/never written', Buffer.from('x'), { ifMatch: '"0123"' }), 'If-Match of a missing key');
    t.type(gone, WriteConflictError, 'If-Match of a key that has no object is a conflict');
    t.equal(await store.head('conditional/never written'), undefined, 'and writes nothing');
  });

  t.test('presigned GET serves the object', async (t) => {
    const store = await make(t);
    t.equal(typeof store.presign === 'function', traits.presigns, `${store.name} presigns exactly when its suite says it does`);
    if (!traits.presigns) return t.pass('presigned GET', { skip: `${store.name} is declared not to presign` });
    if (!store.presign) return;
    await put(store, 'shared file.txt', Buffer.from('hello'));
    const url = await store.presign('shared file.txt', 'get', 60);
    const res = await fetch(url);
    t.equal(res.status, 200);
    t.equal(await res.text(), 'hello');
  });
}
