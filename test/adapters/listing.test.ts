/**
 * A listing that ends early is an error, not the end: the S3 adapter against the lab's S3
 * front with its listing faults on, the Blob adapter against a container that answers pages
 * it is told to, and the shared walk on its own.
 */
import t from 'tap';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { ContainerClient } from '@azure/storage-blob';
import { S3ObjectStore } from '../../src/adapters/aws/s3.js';
import { BlobObjectStore } from '../../src/adapters/azure/blob.js';
import { ListingWalk } from '../../src/adapters/listing.js';
import type { ObjectStore } from '../../src/core/ports.js';
import { classifyFailure, SafetyError } from '../../src/core/retry.js';
import type { Fault } from '../../lab/faults.js';
import type { ListingFault } from '../../lab/s3-listing.js';
import { s3FrontOnly } from '../helpers/s3-front.js';

async function listed(store: ObjectStore, pageSize: number): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of store.list({ pageSize })) keys.push(info.key);
  return keys;
}

/** The error the walk ended with, with the keys it yielded before. */
async function failedListing(store: ObjectStore, pageSize: number): Promise<{ error: unknown; keys: string[] }> {
  const keys: string[] = [];
  try {
    for await (const info of store.list({ pageSize })) keys.push(info.key);
  } catch (error) {
    return { error, keys };
  }
  return { error: undefined, keys };
}

t.test('the walk', async (t) => {
  const utf8 = new ListingWalk('s3://b', 'utf8');
  utf8.page(['a', '\uFF01']);
  t.doesNotThrow(() => utf8.page(['😀']), 'UTF-8 order: U+1F600 comes after U+FF01');
  t.throws(() => new ListingWalk('blob://c', 'utf16').page(['\uFF01', '😀']), SafetyError, 'UTF-16 order: it does not');
  t.equal(utf8.next(false, undefined), undefined, 'a last page ends the walk');
  t.equal(utf8.next(true, 't1'), 't1');
  t.throws(() => utf8.next(true, 't1'), { name: 'SafetyError', message: /the same page forever/ }, 'the token it was given, again');
  t.throws(() => utf8.next(true, ''), {
    message: 'the listing of s3://b was truncated without a continuation token after 3 objects (last key "😀"): refusing to treat it as complete',
    details: { store: 's3://b', objects: 3, lastKey: '😀' },
  });
  t.throws(() => utf8.page(['😀']), { message: /went backwards \(key "😀" came after "😀"\)/ }, 'a key twice');
});

t.test('S3: the lab front\'s listing faults each stop the walk with a SafetyError', async (t) => {
  const { s3, faults } = await s3FrontOnly(t);
  const Bucket = 'listing-brakes';
  await s3.send(new CreateBucketCommand({ Bucket }));
  const keys = ['a', 'b', 'c', 'd', 'e'];
  for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
  const store = new S3ObjectStore(s3, Bucket);
  const listingFault = (listing: ListingFault) => faults.set('s3', { listing } as Fault);

  t.strictSame(await listed(store, 2), keys, 'without a fault, every key once');

  listingFault('truncated-without-token');
  const truncated = await failedListing(store, 2);
  t.type(truncated.error, SafetyError, 'a page that says there is more but gives no token');
  t.equal(classifyFailure(truncated.error), 'safety');
  t.equal((truncated.error as Error).message,
    'the listing of s3://listing-brakes was truncated without a continuation token after 2 objects (last key "b"): refusing to treat it as complete');
  t.strictSame(truncated.keys, [], 'nothing of the suspect page was handed on');

  listingFault('miscounted');
  const miscounted = await failedListing(store, 2);
  t.equal(classifyFailure(miscounted.error), 'safety', 'a page whose KeyCount disagrees with its entries');
  t.match((miscounted.error as Error).message, /gave a page of 2 entries that counts itself 3 \(KeyCount\)/);

  listingFault('restarts');
  const restarted = await failedListing(store, 2);
  t.equal(classifyFailure(restarted.error), 'safety', 'a continued page that starts over');
  t.match((restarted.error as Error).message, /went backwards \(key "a" came after "b"\) after 2 objects/);
  t.strictSame(restarted.keys, ['a', 'b'], 'the pages before it were good');

  faults.set('s3', undefined);
  t.strictSame(await listed(store, 2), keys, 'the fault off, the listing is whole again');
});

interface FakePage {
  names: string[];
  /** The marker the service says it was sent; the one sent when left out. */
  marker?: string | null;
  next?: string;
}

/** A container whose listing answers the pages given, the first without a marker, the others by the marker sent. */
function containerAnswering(pages: FakePage[]): ContainerClient {
  const byMarker = (marker: string | undefined) => (marker === undefined ? pages[0] : pages.find((_, i) => pages[i - 1]?.next === marker));
  return {
    containerName: 'c',
    listBlobsFlat: () => ({
      byPage: ({ continuationToken }: { continuationToken?: string }) => ({
        next: async () => {
          const page = byMarker(continuationToken)!;
          const marker = page.marker === null ? undefined : (page.marker ?? continuationToken);
          const blobItems = page.names.map((name) => ({ name, properties: { contentLength: 1, lastModified: new Date(0) }, metadata: {} }));
          return { done: false, value: { marker, continuationToken: page.next ?? '', segment: { blobItems } } };
        },
      }),
    }),
  } as unknown as ContainerClient;
}

t.test('Blob: pages that cannot continue the walk stop it with a SafetyError', async (t) => {
  const good = new BlobObjectStore(containerAnswering([{ names: ['a', 'b'], next: 'm1' }, { names: [], next: 'm2' }, { names: ['c'] }]));
  t.strictSame(await listed(good, 2), ['a', 'b', 'c'], 'an empty page with a marker is a page like any other');

  const unmarked = await failedListing(new BlobObjectStore(containerAnswering([{ names: ['a', 'b'], next: 'm1' }, { names: ['a', 'b'], marker: null }])), 2);
  t.equal(classifyFailure(unmarked.error), 'safety', 'a continued page that does not say it continues the marker sent');
  t.equal((unmarked.error as Error).message,
    'the listing of blob://c answered a continuation without the marker it was sent after 2 objects (last key "b"): refusing to treat it as complete');

  const backwards = await failedListing(new BlobObjectStore(containerAnswering([{ names: ['b', 'c'], next: 'm1' }, { names: ['a'] }])), 2);
  t.match((backwards.error as Error).message, /blob:\/\/c went backwards \(key "a" came after "c"\)/, 'keys going backwards');
  t.strictSame(backwards.keys, ['b', 'c']);

  const repeated = await failedListing(new BlobObjectStore(containerAnswering([{ names: ['a'], next: 'm1' }, { names: ['b'], next: 'm1' }])), 1);
  t.match((repeated.error as Error).message, /the same page forever/, 'a marker that leads back to itself');
});
