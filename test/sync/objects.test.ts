/**
 * The objects engine against the lab twin, where the wire matters: S3 → Blob byte-exact with
 * headers, metadata and Content-MD5 and recognised on the next run, injected 503/429 and dropped
 * connections, and Blob → S3. What the engine decides (changes, deletes, errors, rejected keys,
 * thousands of objects) is proven on stores held in memory (objects-engine.test.ts).
 */
import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { withLab } from '../helpers/lab.js';
import { adaptersFor, freshName, labSdk } from '../contract/lab-adapters.js';
import { readSmall } from '../../src/adapters/digest.js';
import type { ObjectStore } from '../../src/core/ports.js';
import type { SyncMode } from '../../src/core/sync-summary.js';
import { FINGERPRINT_KEY, syncObjects, type ObjectSyncOptions } from '../../src/sync/objects.js';
import { verifyLatestSample, verifyMirror } from '../../src/sync/verify.js';

// The twin's emulators are single-threaded and this machine small and shared: thousands of
// objects and a few 20 MiB transfers under injected faults take minutes, not seconds.
t.setTimeout(900_000);
const lab = await withLab(t, { empty: false });
const sdk = labSdk(t, lab);
const adapters = adaptersFor(t, lab, () => undefined);
const { site: siteBucket } = lab.endpoints.aws.s3.buckets;
const { site: siteContainer, uploads: uploadsContainer } = lab.endpoints.azure.blob.containers;
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

function sync(source: ObjectStore, destination: ObjectStore, mode: SyncMode, extra: Partial<ObjectSyncOptions> = {}) {
  return syncObjects({ flow: 'test', mode, source, destination, transfers: 8, checkers: 8, ...extra });
}

/** A fresh S3 bucket and Blob container, wired through the production adapters. */
async function freshPair(t: Test) {
  const bucket = freshName('objects-');
  const container = freshName('objects-');
  await sdk.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await sdk.blob.getContainerClient(container).create();
  const a = adaptersFor(t, lab, (c) => {
    c.aws.s3.buckets.uploads = bucket;
    c.azure.blob.containers.uploads = container;
  });
  return { bucket, container, s3: a.objects.awsUploads, blob: a.objects.azureUploads };
}

async function putS3(bucket: string, key: string, body: Buffer | string, extra: Record<string, unknown> = {}) {
  await sdk.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }));
}

async function blobBytes(container: string, key: string): Promise<Buffer> {
  const res = await sdk.blob.getContainerClient(container).getBlobClient(key).download();
  return readSmall(res.readableStreamBody!);
}

// ------------------------------------------------------------------ tricky keys, S3 → $web

const HEADERS = {
  ContentType: 'text/plain; charset=utf-8',
  CacheControl: 'public, max-age=60',
  ContentEncoding: 'identity',
  ContentDisposition: 'attachment; filename="tricky.txt"',
};
const trickyKeys = [
  'tricky/with space.txt', 'tricky/plus+sign.txt', 'tricky/percent%20sign.txt', 'tricky/hash#sign.txt',
  'tricky/question?mark.txt', 'tricky/é-accent.txt', 'tricky/日本/語.txt', 'tricky/emoji-😀.txt',
  'tricky/a/b/c/d/e/f.txt', 'tricky/empty.bin',
];
const BIG_KEY = 'tricky/big multipart.bin';
const bigBody = randomBytes(20 * 1024 * 1024 + 12345);
const bodies = new Map<string, Buffer>(trickyKeys.map((key) => [key, key.endsWith('empty.bin') ? Buffer.alloc(0) : Buffer.from(`body of ${key}\n`.repeat(7))]));
bodies.set(BIG_KEY, bigBody);

t.test('tricky keys arrive byte-exact with their headers, metadata and Content-MD5', async (t) => {
  for (const key of trickyKeys) {
    await putS3(siteBucket, key, bodies.get(key)!, { ...HEADERS, Metadata: { owner: 'team-é', 'x-origin': key.length.toString() } });
  }
  await new Upload({
    client: sdk.s3,
    params: { Bucket: siteBucket, Key: BIG_KEY, Body: bigBody, ...HEADERS, ContentType: 'application/octet-stream', Metadata: { owner: 'scanner' } },
    partSize: 5 * 1024 * 1024,
  }).done();

  const summary = await sync(adapters.objects.awsSite, adapters.objects.azureSite, 'mirror');
  t.equal(summary.failed, 0, `no failure: ${JSON.stringify(summary.failures)}`);
  t.equal(summary.rejected, 0);
  t.equal(summary.copied, summary.seen, 'everything copied on the first run');
  t.ok(summary.seen >= trickyKeys.length + 1 + 8, 'the tricky keys and the demo site');

  const container = sdk.blob.getContainerClient(siteContainer);
  for (const [key, body] of bodies) {
    const props = await container.getBlobClient(key).getProperties();
    const meta = (await adapters.objects.azureSite.head(key))!.metadata;
    const big = key === BIG_KEY;
    t.same(
      {
        bytesMd5: md5(await blobBytes(siteContainer, key)),
        size: props.contentLength,
        contentMd5: Buffer.from(props.contentMD5 ?? []).toString('hex'),
        contentType: props.contentType,
        cacheControl: props.cacheControl,
        contentEncoding: props.contentEncoding,
        contentDisposition: props.contentDisposition,
        owner: meta.owner,
        // A metadata name Blob cannot hold as is (`x-origin`) comes back by its own name.
        origin: meta['x-origin'],
        fingerprinted: FINGERPRINT_KEY in meta,
      },
      {
        bytesMd5: md5(body),
        size: body.length,
        contentMd5: md5(body),
        contentType: big ? 'application/octet-stream' : HEADERS.ContentType,
        cacheControl: HEADERS.CacheControl,
        contentEncoding: HEADERS.ContentEncoding,
        contentDisposition: HEADERS.ContentDisposition,
        owner: big ? 'scanner' : 'team-é',
        origin: big ? undefined : key.length.toString(),
        fingerprinted: true,
      },
      `${key}: bytes, Content-MD5, headers and metadata`,
    );
  }
});

t.test('a second run copies nothing: the fingerprint recognises every object', async (t) => {
  const summary = await sync(adapters.objects.awsSite, adapters.objects.azureSite, 'mirror');
  t.equal(summary.copied, 0);
  t.equal(summary.unchanged, summary.seen);
  t.equal(summary.failed, 0);
});

/**
 * What `n` raw HEADs to a front got while its fault was set: the proof the fault was live.
 * (HEADs of an object: the S3 front answers listings itself, and drops only what it forwards.)
 */
async function probe(url: string, n: number): Promise<Array<number | 'dropped'>> {
  const answers: Array<number | 'dropped'> = [];
  for (let i = 0; i < n; i++) {
    try {
      const res = await fetch(url, { method: 'HEAD' });
      answers.push(res.status);
    } catch {
      answers.push('dropped');
    }
  }
  return answers;
}

t.test('injected 503/429 and dropped connections: complete at 100 % integrity', async (t) => {
  const blobEndpoint = /BlobEndpoint=([^;]+)/.exec(lab.endpoints.azure.blob.connectionString)![1]!;
  const s3Url = `${lab.endpoints.aws.s3.endpoint}/${siteBucket}/index.html`;
  type Faults = Partial<Record<'s3' | 'blob', Parameters<typeof lab.faults.set>[1]>>;
  const runs: Array<{ what: string; faults: Faults; probes: Array<[string, number | 'dropped']> }> = [
    {
      what: 'Blob 503 and S3 429, with Retry-After',
      faults: { blob: { status: 503, retryAfterSeconds: 0, ratio: 0.3 }, s3: { status: 429, retryAfterSeconds: 0, ratio: 0.1 } },
      probes: [[`${blobEndpoint}/${uploadsContainer}?restype=container`, 503], [s3Url, 429]],
    },
    { what: 'S3 drops connections', faults: { s3: { dropConnection: true, ratio: 0.2 } }, probes: [[s3Url, 'dropped']] },
  ];
  for (const { what, faults, probes } of runs) {
    const container = freshName('faults-');
    await sdk.blob.getContainerClient(container).create();
    const a = adaptersFor(t, lab, (c) => void (c.azure.blob.containers.uploads = container));
    for (const [service, fault] of Object.entries(faults)) lab.faults.set(service, fault);
    let summary;
    try {
      summary = await sync(a.objects.awsUploads, a.objects.azureUploads, 'copy');
      for (const [url, answer] of probes) t.ok((await probe(url, 100)).includes(answer), `${what}: the fault was live (${answer} seen)`);
    } finally {
      lab.faults.clear();
    }
    t.equal(summary.failed, 0, `${what}: no failure ${JSON.stringify(summary.failures.slice(0, 3))}`);
    t.ok(summary.copied >= 60, `${what}: everything copied`);
    const sample = await verifyLatestSample({ source: a.objects.awsUploads, destination: a.objects.azureUploads, sampleSize: 10 });
    t.equal(sample.status, 'pass', `${what}: R2 ${sample.reason}`);
    t.equal(sample.measurements.ratio, 1);
    const mirror = await verifyMirror({ source: a.objects.awsUploads, destination: a.objects.azureUploads });
    t.equal(mirror.status, 'pass', `${what}: counts and bytes ${mirror.reason}`);
    const big = 'scans/2026/03/archive-scan.tiff';
    t.equal((await a.objects.azureUploads.head(big))?.size, (await a.objects.awsUploads.head(big))?.size, `${what}: the multipart upload landed`);
  }
});

t.test('reverse: an object written only in Blob arrives in S3 with its MD5 and headers', async (t) => {
  const { bucket, container, s3, blob } = await freshPair(t);
  const key = 'written-in-azure/日本 😀.json';
  const body = Buffer.from(JSON.stringify({ written: 'after the failover' }).repeat(50));
  await sdk.blob.getContainerClient(container).getBlockBlobClient(key).uploadData(body, {
    blobHTTPHeaders: { blobContentType: 'application/json', blobCacheControl: 'no-cache', blobContentDisposition: 'inline', blobContentEncoding: 'identity', blobContentMD5: createHash('md5').update(body).digest() },
    metadata: { author: 'azure_app' },
  });
  const bigKey = 'written-in-azure/big.bin';
  const big = randomBytes(9 * 1024 * 1024 + 7);
  await sdk.blob.getContainerClient(container).getBlockBlobClient(bigKey).uploadData(big, { blockSize: 4 * 1024 * 1024, blobHTTPHeaders: { blobContentType: 'application/x-big' } });

  const summary = await sync(blob, s3, 'copy');
  t.equal(summary.failed, 0, JSON.stringify(summary.failures));
  t.equal(summary.copied, 2);
  const head = await sdk.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  t.equal(head.ContentType, 'application/json');
  t.equal(head.CacheControl, 'no-cache');
  t.equal(head.ContentDisposition, 'inline');
  t.equal(head.ContentEncoding, 'identity');
  t.equal(head.Metadata?.author, 'azure_app');
  for (const [k, bytes] of [[key, body], [bigKey, big]] as const) {
    const got = await sdk.s3.send(new GetObjectCommand({ Bucket: bucket, Key: k }));
    t.equal(md5(await readSmall(got.Body as NodeJS.ReadableStream)), md5(bytes), `${k}: bytes equal`);
    t.equal((await s3.head(k))?.md5, md5(bytes), `${k}: its MD5 recorded in S3`);
  }
  t.equal((await sync(blob, s3, 'copy')).copied, 0, 'a second reverse run copies nothing');

  // Back the other way: objects that carry the MD5 we recorded in S3 are recognised as well.
  t.equal((await sync(s3, blob, 'copy')).copied, 2, 'the forward flow takes them once');
  t.equal((await sync(s3, blob, 'copy')).copied, 0, '…and only once');
});
