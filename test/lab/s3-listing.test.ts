import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateBucketCommand, PutObjectCommand, DeleteObjectCommand, ListObjectsV2Command, ListObjectsCommand,
  type ListObjectsV2CommandInput, type ListObjectsCommandInput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Fault } from '../../lab/faults.js';
import { compareUtf8, type ListingFault } from '../../lab/s3-listing.js';
import { s3FrontOnly } from '../helpers/s3-front.js';

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
// s3rver's own listing puts `a/b` before `a`; UTF-16 order puts 😀 before U+FF01.
const KEYS = ['a', 'a/b', 'ab', 'a-c', 'a b', 'a+b', '日本', '日本/語.txt', 'é', '😀x', '\uFF01', 'z'];
const SORTED = [...KEYS].sort(utf8Order);

const { s3, faults, front, upstreamDirectory } = await s3FrontOnly(t);

async function bucketWith(Bucket: string, keys: string[]): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket }));
  for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket, Key, Body: `body of ${Key}` }));
  return Bucket;
}
const Bucket = await bucketWith('listing', KEYS);

interface Listed {
  keys: string[];
  prefixes: string[];
  pages: number;
}

/** Pages through ListObjectsV2; `between` runs after each page. */
async function listV2(input: Omit<ListObjectsV2CommandInput, 'Bucket'>, bucket = Bucket, between?: (page: number) => Promise<void>): Promise<Listed> {
  const listed: Listed = { keys: [], prefixes: [], pages: 0 };
  let ContinuationToken: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ ...input, Bucket: bucket, ContinuationToken }));
    listed.pages++;
    listed.keys.push(...(page.Contents ?? []).map((c) => c.Key!));
    listed.prefixes.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
    if (page.KeyCount !== (page.Contents?.length ?? 0) + (page.CommonPrefixes?.length ?? 0)) throw new Error('KeyCount does not count the page');
    ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (page.IsTruncated && !ContinuationToken) throw new Error('truncated without a continuation token');
    await between?.(listed.pages);
  } while (ContinuationToken);
  return listed;
}

/** Pages through ListObjects V1 as rclone does: NextMarker, else the last key. */
async function listV1(input: Omit<ListObjectsCommandInput, 'Bucket'>): Promise<Listed> {
  const listed: Listed = { keys: [], prefixes: [], pages: 0 };
  let Marker: string | undefined;
  for (;;) {
    const page = await s3.send(new ListObjectsCommand({ ...input, Bucket, Marker }));
    listed.pages++;
    const keys = (page.Contents ?? []).map((c) => c.Key!);
    listed.keys.push(...keys);
    listed.prefixes.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
    if (!page.IsTruncated) return listed;
    Marker = page.NextMarker ?? keys.at(-1);
  }
}

t.test('compareUtf8 is the order of the UTF-8 bytes', async (t) => {
  const alphabet = ['a', 'b', '/', '\u00e9', '\u65e5', '\uFF01', '\uE000', '\uD7FF', '😀', '𝄞', '\u0000'];
  const words = Array.from({ length: 2000 }, () =>
    Array.from({ length: 1 + Math.floor(Math.random() * 4) }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join(''),
  );
  t.same([...words].sort(compareUtf8), [...words].sort(utf8Order));
  t.ok(compareUtf8('\uFF01', '😀x') < 0, 'U+FF01 (3 bytes) before U+1F600 (4 bytes)');
});

t.test('ListObjectsV2 gives every key once, in UTF-8 order, at any page size', async (t) => {
  for (const MaxKeys of [1, 2, 3, 1000]) {
    const listed = await listV2({ MaxKeys });
    t.same(listed.keys, SORTED, `page size ${MaxKeys}`);
    t.equal(listed.pages, Math.max(1, Math.ceil(KEYS.length / MaxKeys)), `pages at size ${MaxKeys}`);
  }
  t.same((await listV2({})).keys, SORTED, 'default page size');
});

t.test('ListObjects V1 pages with markers just as exactly', async (t) => {
  for (const MaxKeys of [1, 2, 3, 1000]) t.same((await listV1({ MaxKeys })).keys, SORTED, `page size ${MaxKeys}`);
  const withDelimiter = await listV1({ MaxKeys: 1, Delimiter: '/' });
  t.same(withDelimiter.keys, SORTED.filter((k) => !k.includes('/')), 'NextMarker skips the keys under a common prefix');
  t.same(withDelimiter.prefixes, ['a/', '日本/']);
});

t.test('prefix and delimiter give the common prefixes', async (t) => {
  for (const MaxKeys of [1, 2, 1000]) {
    const top = await listV2({ Delimiter: '/', MaxKeys });
    t.same(top.keys, SORTED.filter((k) => !k.includes('/')), `top level keys, page size ${MaxKeys}`);
    t.same(top.prefixes, ['a/', '日本/'], `top level prefixes, page size ${MaxKeys}`);
    t.equal(top.pages, Math.ceil(12 / MaxKeys), 'a common prefix counts as one item');
  }
  const underA = await listV2({ Prefix: 'a', Delimiter: '/' });
  t.same(underA.keys, ['a', 'a b', 'a+b', 'a-c', 'ab']);
  t.same(underA.prefixes, ['a/']);
  t.same(await listV2({ Prefix: '日本/', Delimiter: '/' }), { keys: ['日本/語.txt'], prefixes: [], pages: 1 });
  t.same((await listV2({ Prefix: 'a/' })).keys, ['a/b']);
  t.same((await listV2({ Prefix: 'nothing' })).keys, []);
  t.same((await listV2({ Prefix: '../' })).keys, [], 'no way out of the bucket');
  t.same(await listV2({ Delimiter: 'b' }), { keys: SORTED.filter((k) => !k.includes('b')), prefixes: ['a b', 'a+b', 'a/b', 'ab'], pages: 1 });
});

t.test('start-after', async (t) => {
  t.same((await listV2({ StartAfter: 'a' })).keys, SORTED.slice(1));
  t.same((await listV2({ StartAfter: '\uFF01', MaxKeys: 1 })).keys, ['😀x'], 'in UTF-8 order');
  t.same((await listV2({ StartAfter: 'a/', Delimiter: '/' })).prefixes, ['日本/'], 'a common prefix not after start-after is left out');
  t.same((await listV2({ StartAfter: '😀x' })).keys, []);
});

t.test('encoding-type=url, fetch-owner and the answer\'s fields', async (t) => {
  const page = await s3.send(new ListObjectsV2Command({ Bucket, EncodingType: 'url', Prefix: '日本', Delimiter: '/', FetchOwner: true, MaxKeys: 5 }));
  t.equal(page.EncodingType, 'url');
  t.same(page.Contents?.map((c) => c.Key), [encodeURIComponent('日本')]);
  t.same(page.CommonPrefixes?.map((p) => p.Prefix), [encodeURIComponent('日本/')]);
  t.equal(page.Prefix, encodeURIComponent('日本'));
  t.equal(page.MaxKeys, 5);
  t.equal(page.IsTruncated, false);
  const [object] = page.Contents!;
  t.equal(object?.Size, Buffer.byteLength('body of 日本'));
  t.equal(object?.StorageClass, 'STANDARD');
  t.ok(object?.Owner?.ID, 'fetch-owner=true shows the owner');
  t.match(object?.ETag, /^"[0-9a-f]{32}"$/);
  t.ok(object?.LastModified && Date.now() - object.LastModified.getTime() < 600_000, 'LastModified is the write time');
  const plain = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'a+b' }));
  t.same(plain.Contents?.map((c) => c.Key), ['a+b'], 'no encoding unless asked');
  t.equal(plain.Contents?.[0]?.Owner, undefined, 'no owner unless asked');

  const raw = await (await fetch(`${front.url}/${Bucket}?list-type=2&prefix=z`)).text();
  t.match(raw, /<ListBucketResult xmlns="http:\/\/s3\.amazonaws\.com\/doc\/2006-03-01\/">/);
  t.match(raw, /<LastModified>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z<\/LastModified>/, 'ISO time with milliseconds');
});

t.test('errors as S3 answers them', async (t) => {
  await t.rejects(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })), { name: 'NoSuchBucket' });
  await t.rejects(s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken: 'not a token!' })), { name: 'InvalidArgument' });
  const badMaxKeys = await fetch(`${front.url}/${Bucket}?list-type=2&max-keys=-1`);
  t.equal(badMaxKeys.status, 400);
  const none = await s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 0 }));
  t.equal(none.KeyCount, 0);
});

t.test('writes and deletes between two pages: no duplicate, no crash', async (t) => {
  const bucket = await bucketWith('moving', KEYS);
  const listed = await listV2({ MaxKeys: 3 }, bucket, async (page) => {
    if (page !== 1) return;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: '0 before the cursor', Body: 'x' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'zz after the cursor', Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'é' }));
  });
  t.same(listed.keys, [...SORTED.filter((k) => k !== 'é'), 'zz after the cursor'].sort(utf8Order));
  t.equal(new Set(listed.keys).size, listed.keys.length, 'no key twice');
  t.ok((await listV2({}, bucket)).keys.includes('0 before the cursor'), 'a new listing sees the early write');
});

t.test('a multipart object shows real S3\'s ETag in listings', async (t) => {
  const PART = 5 * 1024 * 1024;
  await new Upload({ client: s3, params: { Bucket, Key: 'big/multi.bin', Body: randomBytes(2 * PART) }, partSize: PART }).done();
  const [v2] = (await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'big/' }))).Contents ?? [];
  t.match(v2?.ETag, /^"[0-9a-f]{32}-2"$/);
  const [v1] = (await s3.send(new ListObjectsCommand({ Bucket, Prefix: 'big/' }))).Contents ?? [];
  t.equal(v1?.ETag, v2?.ETag);
  t.equal(v2?.Size, 2 * PART);
});

t.test('an object whose MD5 file is not written yet is listed with the MD5 of its bytes', async (t) => {
  const body = 'md5 not yet written';
  const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'fresh/object', Body: body }));
  await rm(path.join(upstreamDirectory, Bucket, 'fresh', 'object._S3rver_object.md5'));
  const [listed] = (await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'fresh/' }))).Contents ?? [];
  t.equal(listed?.ETag, put.ETag);
  t.equal(listed?.ETag, `"${createHash('md5').update(body).digest('hex')}"`);
});

t.test('listing faults: the page S3 must never answer, on demand', async (t) => {
  const page = async (listing: ListingFault, query: string) => {
    faults.set('s3', { listing } as Fault);
    try {
      return await (await fetch(`${front.url}/${Bucket}?list-type=2&${query}`)).text();
    } finally {
      faults.set('s3', undefined);
    }
  };
  const whole = await page('truncated-without-token', 'max-keys=1000');
  t.match(whole, /<IsTruncated>true<\/IsTruncated>/, 'truncated-without-token: even a last page says there is more');
  t.notMatch(whole, /NextContinuationToken/, 'and gives no token');
  t.match(await page('miscounted', 'max-keys=2'), /<KeyCount>3<\/KeyCount>/, 'miscounted: KeyCount one more than the page holds');
  const first = await s3.send(new ListObjectsV2Command({ Bucket, MaxKeys: 2 }));
  const again = await page('restarts', `max-keys=2&continuation-token=${encodeURIComponent(first.NextContinuationToken!)}`);
  t.match(again, new RegExp(`<Key>${SORTED[0]}</Key><LastModified>`), 'restarts: a continued listing answers its first page again');
  t.same((await listV2({ MaxKeys: 2 })).keys, (await listV2({})).keys, 'the fault off, pages are whole again');
});
