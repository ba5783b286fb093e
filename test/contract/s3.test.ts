import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { S3ObjectStore } from '../../src/adapters/aws/s3.js';
import { WriteConflictError } from '../../src/core/retry.js';
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

t.test('S3 passes the ObjectStore contract', async (t) => objectStoreContract(t, freshBucket, { presigns: true }));

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

t.test('requests a put makes: no read-back where the write itself says when it happened', async (t) => {
  const bucket = freshName('requests-');
  await sdk.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const sent: string[] = [];
  sdk.s3.middlewareStack.add((next, context) => (args) => (sent.push(String(context.commandName)), next(args)), { step: 'initialize' });
  const partSize = 5 * 1024 * 1024;
  const store = new S3ObjectStore(sdk.s3, bucket, { partSize });
  const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');
  const putting = async (bytes: Buffer, announced?: string) => {
    sent.length = 0;
    const stored = await store.put('k', Readable.from([bytes]), { size: bytes.length, contentType: 'application/x-test', md5: announced, metadata: { 'Mixed-Case': 'v' } });
    const requests = [...sent];
    t.equal(stored.md5, md5(bytes), 'the MD5 is vouched for');
    t.strictSame(stored, await store.head('k'), 'put returns what head reports');
    return requests;
  };

  const small = randomBytes(1000);
  t.strictSame(await putting(small), ['PutObjectCommand', 'HeadObjectCommand'],
    'one part: the MD5 goes with the PutObject, no copy; S3 answers a PutObject without Last-Modified, so a head follows');
  const big = randomBytes(partSize + 1);
  const multipart = await putting(big);
  t.strictSame(multipart.slice(-2), ['CompleteMultipartUploadCommand', 'CopyObjectCommand'],
    'multipart, MD5 not announced: the copy that records it reports the ETag and time, no head');
  t.strictSame((await putting(big, md5(big))).slice(-2), ['CompleteMultipartUploadCommand', 'HeadObjectCommand'],
    'multipart, MD5 announced: recorded at creation, no copy; the completion has no Last-Modified, so a head');
});

t.test('a conditional multipart put: the condition rides on the completion, and a refused upload is aborted', async (t) => {
  const bucket = freshName('conditional-');
  await sdk.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const sent: { command: string; IfMatch?: string; IfNoneMatch?: string }[] = [];
  sdk.s3.middlewareStack.add((next, context) => (args) => {
    const { IfMatch, IfNoneMatch } = args.input as { IfMatch?: string; IfNoneMatch?: string };
    sent.push({ command: String(context.commandName), IfMatch, IfNoneMatch });
    return next(args);
  }, { step: 'initialize' });
  const partSize = 5 * 1024 * 1024;
  const store = new S3ObjectStore(sdk.s3, bucket, { partSize });
  const putting = (conditions: { ifMatch?: string; ifNoneMatch?: '*' }) => {
    sent.length = 0;
    const bytes = randomBytes(partSize + 1);
    return store.put('k', Readable.from([bytes]), { size: bytes.length, contentType: 'application/x-test', ...conditions });
  };
  const created = await putting({ ifNoneMatch: '*' });
  t.match(sent.find((c) => c.command === 'CompleteMultipartUploadCommand'), { IfNoneMatch: '*' }, 'If-None-Match * sent with the completion');
  await t.rejects(putting({ ifNoneMatch: '*' }), WriteConflictError);
  t.strictSame(sent.map((c) => c.command).slice(-2), ['CompleteMultipartUploadCommand', 'AbortMultipartUploadCommand'], 'refused at completion, then aborted');
  await t.rejects(putting({ ifMatch: '"0123456789abcdef0123456789abcdef-2"' }), WriteConflictError, 'a stale If-Match: refused');
  t.equal((await store.head('k'))?.md5, created.md5, 'the object is the one first written');
  const replaced = await putting({ ifMatch: created.etag });
  t.match(sent.find((c) => c.command === 'CompleteMultipartUploadCommand'), { IfMatch: created.etag }, 'If-Match sent with the completion');
  t.not(replaced.md5, created.md5, 'the current ETag: replaced');
});
