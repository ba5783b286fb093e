/**
 * The demo data of the twin's AWS side, deterministic (one seeded PRNG) and written through
 * the official SDKs: a small static site, 50+ uploads with one multipart upload of > 20 MiB,
 * and an `images` table of 500 items that together use every DynamoDB attribute type.
 * The Azure side starts empty: filling it is the sync's job.
 */
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BatchWriteItemCommand, UpdateContinuousBackupsCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';

const SEED = 20260301;
const MiB = 1024 * 1024;
export const PART_SIZE = 5 * MiB;

/** What the seed writes, for checks that want to know without listing. */
export const DEMO = {
  siteKeys: ['index.html', '404.html', 'about/index.html', 'blog/index.html', 'blog/2026/post-1.html', 'css/site.css', 'js/app.js', 'img/logo.png'],
  uploadsCount: 64,
  bigUpload: { key: 'scans/2026/03/archive-scan.tiff', size: 20 * MiB + 300 * 1024, parts: 5 },
  imageCount: 100,
  chunksPerImage: 5,
} as const;

/** mulberry32: small, fast and the same on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomBytes(next: () => number, n: number): Buffer {
  const buf = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) buf[i] = (next() * 256) | 0;
  return buf;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A valid RGB PNG whose pixels come from `pixel`. */
export function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), row + 1 + x * 3);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** JPEG markers around noise: enough for type sniffers, not a decodable picture. */
function jpegLike(next: () => number, size: number): Buffer {
  const head = Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex');
  return Buffer.concat([head, randomBytes(next, size), Buffer.from([0xff, 0xd9])]);
}

/** The bytes of the big multipart upload, generated as they are read. */
export function bigUploadStream(): Readable {
  const next = prng(SEED ^ 0x5eed);
  let left: number = DEMO.bigUpload.size;
  return new Readable({
    read() {
      const n = Math.min(left, 256 * 1024);
      left -= n;
      this.push(n > 0 ? randomBytes(next, n) : null);
    },
  });
}

const page = (title: string, body: string) =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title>` +
  `<link rel="stylesheet" href="/css/site.css"></head>\n<body><header><img src="/img/logo.png" alt="logo"> ` +
  `<a href="/">Home</a> <a href="/about/">About</a> <a href="/blog/">Blog</a></header>\n<main>${body}</main>` +
  `<script src="/js/app.js"></script></body></html>\n`;

const HTML = 'text/html; charset=utf-8';
const LONG_CACHE = 'public, max-age=86400';

function siteObjects(): Array<{ key: string; body: Buffer | string; contentType: string; cacheControl?: string }> {
  const logo = png(16, 16, (x, y) => [40 + x * 12, 90 + y * 8, 200]);
  return [
    { key: 'index.html', body: page('Demo images', '<h1>Demo images</h1><p>Upload, browse and share pictures.</p>'), contentType: HTML },
    { key: '404.html', body: page('Not found', '<h1>Page not found</h1>'), contentType: HTML },
    { key: 'about/index.html', body: page('About', '<h1>About us</h1><p>A demo site for drsentinel.</p>'), contentType: HTML },
    { key: 'blog/index.html', body: page('Blog', '<h1>Blog</h1><a href="/blog/2026/post-1.html">First post</a>'), contentType: HTML },
    { key: 'blog/2026/post-1.html', body: page('First post', '<h1>First post</h1><p>Hello, world.</p>'), contentType: HTML },
    { key: 'css/site.css', body: 'body { font-family: sans-serif; margin: 2rem; }\nheader img { height: 1em; }\n', contentType: 'text/css; charset=utf-8', cacheControl: LONG_CACHE },
    { key: 'js/app.js', body: "document.documentElement.dataset.ready = 'yes';\n", contentType: 'text/javascript; charset=utf-8', cacheControl: LONG_CACHE },
    { key: 'img/logo.png', body: logo, contentType: 'image/png', cacheControl: LONG_CACHE },
  ];
}

/** Names that sort differently in UTF-8 (S3) and UTF-16 (Blob) order, and need URL encoding. */
const AWKWARD_NAMES = ['Café menu.jpg', 'ｆullwidth.png', '🐱 cat.png', '写真 2026.jpg'];

function uploadObjects(next: () => number): Array<{ key: string; body: Buffer; contentType: string; metadata: Record<string, string> }> {
  const users = ['alice', 'bob', 'chen', 'dagny'];
  const out = [];
  for (let i = 0; i < DEMO.uploadsCount; i++) {
    const name = i < AWKWARD_NAMES.length ? AWKWARD_NAMES[i]! : `IMG_${String(1000 + i)}.${i % 3 === 0 ? 'jpg' : 'png'}`;
    const isJpeg = name.endsWith('.jpg');
    const side = 8 + ((next() * 40) | 0);
    const body = isJpeg ? jpegLike(next, 512 + ((next() * 16384) | 0)) : png(side, side, () => [(next() * 256) | 0, (next() * 256) | 0, (next() * 256) | 0]);
    const month = String(1 + (i % 3)).padStart(2, '0');
    out.push({
      key: `2026/${month}/${name}`,
      body,
      contentType: isJpeg ? 'image/jpeg' : 'image/png',
      metadata: { 'uploaded-by': users[i % users.length]!, 'original-name': encodeURIComponent(name) },
    });
  }
  return out;
}

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let index = 0;
  const worker = async () => {
    while (index < items.length) await fn(items[index++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

const n = (v: number | string): AttributeValue => ({ N: String(v) });
const s = (v: string): AttributeValue => ({ S: v });

/** One chunk of one image; the attribute mix varies so that every type occurs. */
function imageItem(next: () => number, image: number, chunk: number): Record<string, AttributeValue> {
  const imageId = `img-${String(image).padStart(4, '0')}`;
  const bytes = randomBytes(next, 256 + ((next() * 1024) | 0));
  const item: Record<string, AttributeValue> = {
    imageId: s(imageId),
    chunkIndex: n(chunk),
    content: s(bytes.toString('base64')),
    chunkSha256: { B: createHash('sha256').update(bytes).digest() },
    size: n(bytes.length),
    isLast: { BOOL: chunk === DEMO.chunksPerImage - 1 },
  };
  if (chunk !== 0) return item;
  return {
    ...item,
    chunkCount: n(DEMO.chunksPerImage),
    owner: s(['alice', 'bob', 'chen', 'dagny'][image % 4]!),
    tags: { SS: ['demo', image % 2 ? 'landscape' : 'portrait', `batch-${image % 7}`] },
    dimensions: { NS: [String(640 + image), String(480 + image)] },
    thumbnails: { BS: [randomBytes(next, 16), randomBytes(next, 24)] },
    exposureBias: n((-((image % 9) + 1) / 4).toFixed(2)),
    // 38 significant digits: the most DynamoDB keeps, beyond a double's precision.
    sequenceNumber: n(`${(image % 9) + 1}${'2345678901234567890123456789012345678'.slice(0, 37)}`),
    deletedAt: image % 3 === 0 ? { NULL: true } : s('2026-03-01T00:00:00Z'),
    exif: {
      M: {
        camera: { M: { make: s('Demo'), model: s(`X${image % 5}`), iso: n(100 * (1 + (image % 8))) } },
        gps: image % 2 ? { M: { lat: n('52.3676'), lon: n('-4.9041') } } : { NULL: true },
        flash: { BOOL: image % 2 === 0 },
      },
    },
    history: {
      L: [
        { M: { action: s('uploaded'), at: s('2026-03-01T08:00:00Z') } },
        s('resized'),
        n(image),
        { BOOL: true },
        { NULL: true },
        { L: [s('nested'), n('-1.5'), { SS: ['a', 'b'] }] },
      ],
    },
  };
}

async function batchWrite(dynamodb: DynamoDBClient, table: string, requests: WriteRequest[]): Promise<void> {
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 10) throw new Error(`seeding ${table}: items still unprocessed after ${attempt} attempts`);
    const out = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
    pending = out.UnprocessedItems?.[table] ?? [];
    if (pending.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
  }
}

export interface SeedTarget {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  buckets: { site: string; uploads: string };
  table: string;
}

function uploadBig(s3: S3Client, bucket: string): Promise<unknown> {
  return new Upload({
    client: s3,
    params: {
      Bucket: bucket,
      Key: DEMO.bigUpload.key,
      Body: bigUploadStream(),
      ContentType: 'image/tiff',
      Metadata: { 'uploaded-by': 'scanner', 'original-name': 'archive-scan.tiff' },
    },
    partSize: PART_SIZE,
    queueSize: 2,
  }).done();
}

async function putObjects(s3: S3Client, bucket: string, objects: Array<{ key: string; body: Buffer | string; contentType: string; cacheControl?: string; metadata?: Record<string, string> }>): Promise<void> {
  await pool(objects, 8, async (o) => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.body, ContentType: o.contentType, CacheControl: o.cacheControl, Metadata: o.metadata }));
  });
}

async function writeImages(dynamodb: DynamoDBClient, table: string, next: () => number): Promise<void> {
  const requests: WriteRequest[] = [];
  for (let image = 1; image <= DEMO.imageCount; image++) {
    for (let chunk = 0; chunk < DEMO.chunksPerImage; chunk++) requests.push({ PutRequest: { Item: imageItem(next, image, chunk) } });
  }
  const batches = Array.from({ length: Math.ceil(requests.length / 25) }, (_, i) => requests.slice(i * 25, i * 25 + 25));
  await pool(batches, 4, (batch) => batchWrite(dynamodb, table, batch));
}

export async function seedDemo(target: SeedTarget): Promise<void> {
  const { s3, dynamodb, buckets, table } = target;
  const next = prng(SEED);
  // Like a production table, the demo table has point-in-time recovery on before its data
  // arrives, so that it can be exported (full, then incremental) from the start.
  await dynamodb.send(new UpdateContinuousBackupsCommand({ TableName: table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
  // The PRNG is drawn in a fixed order (uploads, then items) so the data is the same every run.
  const uploads = uploadObjects(next);
  const images = writeImages(dynamodb, table, next);
  await Promise.all([
    uploadBig(s3, buckets.uploads),
    putObjects(s3, buckets.site, siteObjects()).then(() => putObjects(s3, buckets.uploads, uploads)),
    images,
  ]);
}
