/**
 * Source buckets for the object benchmarks. Two ways to write them, measured against each
 * other (`BENCH_SEED=sdk|disk`): parallel PutObjects through the twin's S3 front, or s3rver's
 * own on-disk layout (`<key>._S3rver_object` with its `.md5` and `_S3rver_metadata.json`
 * beside it, as s3rver writes them). Either way both tools then list and read the same
 * bucket through the same front; only how the bytes got there differs.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { forEachConcurrently } from './concurrency.js';

export type SeedMethod = 'sdk' | 'disk';

export interface SeedSpec {
  bucket: string;
  count: number;
  size: number;
}

export interface Seeded extends SeedSpec {
  method: SeedMethod;
  ms: number;
}

const KEYS_PER_FOLDER = 200;
const CONTENT_TYPE = 'application/octet-stream';

/** `d012/o002417.bin`: folders as a real site or upload bucket has them. */
export function benchKey(i: number): string {
  return `d${String(Math.floor(i / KEYS_PER_FOLDER)).padStart(3, '0')}/o${String(i).padStart(6, '0')}.bin`;
}

async function putThroughSdk(s3: S3Client, spec: SeedSpec, concurrency: number): Promise<void> {
  await forEachConcurrently(spec.count, concurrency, async (i) => {
    const body = randomBytes(spec.size);
    await s3.send(new PutObjectCommand({ Bucket: spec.bucket, Key: benchKey(i), Body: body, ContentLength: body.length, ContentType: CONTENT_TYPE }));
  });
}

async function writeOnDisk(s3rverDirectory: string, spec: SeedSpec, concurrency: number): Promise<void> {
  const root = join(s3rverDirectory, spec.bucket);
  const folders = new Set(Array.from({ length: spec.count }, (_, i) => dirname(join(root, benchKey(i)))));
  await Promise.all([...folders].map((folder) => mkdir(folder, { recursive: true })));
  const metadata = JSON.stringify({ 'content-type': CONTENT_TYPE }, null, 2);
  await forEachConcurrently(spec.count, concurrency, async (i) => {
    const base = join(root, benchKey(i));
    const body = randomBytes(spec.size);
    await writeFile(`${base}._S3rver_object`, body);
    await writeFile(`${base}._S3rver_object.md5`, createHash('md5').update(body).digest('hex'));
    await writeFile(`${base}._S3rver_metadata.json`, metadata);
  });
}

/** Creates the bucket (through the front, so the twin knows it) and fills it. */
export async function seedBucket(s3: S3Client, s3rverDirectory: string, spec: SeedSpec, method: SeedMethod): Promise<Seeded> {
  const started = performance.now();
  await s3.send(new CreateBucketCommand({ Bucket: spec.bucket }));
  if (method === 'sdk') await putThroughSdk(s3, spec, 32);
  else await writeOnDisk(s3rverDirectory, spec, 64);
  return { ...spec, method, ms: performance.now() - started };
}
