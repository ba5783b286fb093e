import t from 'tap';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { withLab } from '../helpers/lab.js';
import { adaptersFor, freshName, labSdk } from './lab-adapters.js';
import { objectStoreContract } from './object-store.js';

const lab = await withLab(t, { empty: true });
const sdk = labSdk(t, lab);

async function freshBucket(test: Parameters<typeof adaptersFor>[0]) {
  const bucket = freshName('contract-');
  await sdk.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return adaptersFor(test, lab, (c) => void (c.aws.s3.buckets.uploads = bucket)).objects.awsUploads;
}

t.test('S3 passes the ObjectStore contract', async (t) => objectStoreContract(t, freshBucket));

t.test('S3 specifics', async (t) => {
  const store = await freshBucket(t);
  t.equal(store.keyOrder, 'utf8');
  t.equal(store.listsMetadata, false, 'ListObjectsV2 carries no metadata: heads are needed');
  t.match(store.rejectKey('é'.repeat(513)), /1026 bytes in UTF-8/, 'the limit is in UTF-8 bytes, not characters');
  t.equal(store.rejectKey('é'.repeat(512)), undefined);
  t.equal(store.rejectKey('ends with a dot.'), undefined, 'S3 holds what Blob cannot');

  const bucket = store.name.replace('s3://', '');
  await sdk.s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'foreign', Body: 'written by someone else' }));
  const foreign = await store.head('foreign');
  t.ok(foreign?.etag, 'the ETag is reported, opaque');
  t.equal(foreign?.md5, undefined, 'an ETag is never taken for an MD5: without our metadata, no MD5');
  t.notOk('content-md5' in (foreign?.metadata ?? {}));
});
