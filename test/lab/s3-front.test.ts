import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import {
  S3Client, CreateBucketCommand, PutObjectCommand, HeadObjectCommand, GetObjectCommand, ListObjectsV2Command,
  ListObjectsCommand, CopyObjectCommand, DeleteObjectCommand, PutBucketPolicyCommand, GetBucketPolicyCommand,
  DeleteBucketPolicyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { FaultSwitch } from '../../lab/faults.js';
import { startS3Front } from '../../lab/s3-front.js';
import { LAB_CREDENTIALS, startS3rver, tempDir } from '../helpers/emulators.js';

const md5 = (data: Buffer) => createHash('md5').update(data).digest();
const PART = 5 * 1024 * 1024;

const { url: upstream, directory: upstreamDirectory } = await startS3rver(t);
const stateDir = await tempDir(t, 's3front');
let front = await startS3Front({ upstream, upstreamDirectory, host: '127.0.0.1', stateDir, faults: new FaultSwitch() });
t.teardown(() => front.close());

function client(endpoint: string) {
  const s3 = new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true, credentials: LAB_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  t.teardown(() => s3.destroy());
  return s3;
}
let s3 = client(front.url);
const Bucket = 'front-test';
await s3.send(new CreateBucketCommand({ Bucket }));

async function etagsOf(Key: string) {
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
  const get = await s3.send(new GetObjectCommand({ Bucket, Key }));
  await get.Body!.transformToByteArray();
  const v2 = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: Key }));
  const v1 = await s3.send(new ListObjectsCommand({ Bucket, Prefix: Key }));
  return {
    head: head.ETag, get: get.ETag,
    v2: v2.Contents?.find((c) => c.Key === Key)?.ETag,
    v1: v1.Contents?.find((c) => c.Key === Key)?.ETag,
  };
}

// Keys chosen to break naive URL or XML handling.
const multipartKey = 'deep dir/a+b %25 #x é 画像 🎉 <&>\'".bin';
const parts = [randomBytes(PART), randomBytes(PART), randomBytes(PART)];
const partsMd5 = md5(Buffer.concat(parts.map(md5))).toString('hex');

t.test('a multipart upload gets real S3\'s ETag everywhere', async (t) => {
  const upload = new Upload({ client: s3, params: { Bucket, Key: multipartKey, Body: Buffer.concat(parts) }, partSize: PART, queueSize: 2 });
  const done = await upload.done();
  const expected = `"${partsMd5}-3"`;
  t.equal(done.ETag, expected, 'CompleteMultipartUpload answer');
  t.same(await etagsOf(multipartKey), { head: expected, get: expected, v2: expected, v1: expected });
});

t.test('the mapping survives a restart of the front', async (t) => {
  await front.close();
  front = await startS3Front({ upstream, upstreamDirectory, host: '127.0.0.1', stateDir, faults: new FaultSwitch() });
  s3 = client(front.url);
  t.equal((await s3.send(new HeadObjectCommand({ Bucket, Key: multipartKey }))).ETag, `"${partsMd5}-3"`);
});

t.test('a single PutObject keeps the plain MD5 ETag', async (t) => {
  const body = Buffer.from('hello world');
  const put = await s3.send(new PutObjectCommand({ Bucket, Key: 'single.txt', Body: body }));
  const plain = `"${md5(body).toString('hex')}"`;
  t.equal(put.ETag, plain);
  t.same(await etagsOf('single.txt'), { head: plain, get: plain, v2: plain, v1: plain });
});

t.test('an overwrite drops the mapping', async (t) => {
  const Key = 'overwritten.bin';
  await new Upload({ client: s3, params: { Bucket, Key, Body: Buffer.concat(parts.slice(0, 2)) }, partSize: PART }).done();
  t.match((await s3.send(new HeadObjectCommand({ Bucket, Key }))).ETag, /-2"$/);
  const body = Buffer.from('now small');
  await s3.send(new PutObjectCommand({ Bucket, Key, Body: body }));
  const plain = `"${md5(body).toString('hex')}"`;
  t.same(await etagsOf(Key), { head: plain, get: plain, v2: plain, v1: plain });

  const copied = 'copied.bin';
  await new Upload({ client: s3, params: { Bucket, Key: copied, Body: Buffer.concat(parts.slice(0, 2)) }, partSize: PART }).done();
  await s3.send(new CopyObjectCommand({ Bucket, Key: copied, CopySource: `${Bucket}/${encodeURIComponent(Key)}` }));
  t.equal((await s3.send(new HeadObjectCommand({ Bucket, Key: copied }))).ETag, plain, 'CopyObject over a multipart object');

  await s3.send(new DeleteObjectCommand({ Bucket, Key: copied }));
  await s3.send(new PutObjectCommand({ Bucket, Key: copied, Body: body }));
  t.equal((await s3.send(new HeadObjectCommand({ Bucket, Key: copied }))).ETag, plain, 'delete then put');
});

t.test('bucket policies: round trip and Deny s3:PutObject enforced', async (t) => {
  await t.rejects(s3.send(new GetBucketPolicyCommand({ Bucket })), { name: 'NoSuchBucketPolicy' });
  const Policy = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'freeze', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${Bucket}/*` }],
  });
  await s3.send(new PutBucketPolicyCommand({ Bucket, Policy }));
  t.equal((await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy, Policy);

  await t.rejects(s3.send(new PutObjectCommand({ Bucket, Key: 'denied.txt', Body: 'no' })), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
  await t.rejects(
    new Upload({ client: s3, params: { Bucket, Key: 'denied.bin', Body: Buffer.concat(parts.slice(0, 2)) }, partSize: PART }).done(),
    { name: 'AccessDenied' },
  );
  await t.rejects(s3.send(new CopyObjectCommand({ Bucket, Key: 'denied-copy', CopySource: `${Bucket}/single.txt` })), { name: 'AccessDenied' });
  const read = await s3.send(new GetObjectCommand({ Bucket, Key: 'single.txt' }));
  t.equal(await read.Body!.transformToString(), 'hello world', 'reads still work');

  await s3.send(new DeleteBucketPolicyCommand({ Bucket }));
  await t.rejects(s3.send(new GetBucketPolicyCommand({ Bucket })), { name: 'NoSuchBucketPolicy' });
  await s3.send(new PutObjectCommand({ Bucket, Key: 'allowed.txt', Body: 'yes' }));
  t.pass('writes restored');

  await t.rejects(s3.send(new PutBucketPolicyCommand({ Bucket, Policy: 'not json' })), { name: 'MalformedPolicy' });
  await t.rejects(s3.send(new GetBucketPolicyCommand({ Bucket: 'no-such-bucket' })), { name: 'NoSuchBucket' });
});

t.test('conditional writes, which s3rver ignores, are held as S3 holds them', async (t) => {
  const Key = 'conditional/a+b é.txt';
  const first = await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'first', IfNoneMatch: '*' }));
  t.ok(first.ETag, 'If-None-Match * on a new key writes');
  await t.rejects(s3.send(new PutObjectCommand({ Bucket, Key, Body: 'second', IfNoneMatch: '*' })), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } },
    'If-None-Match * on an existing key: 412');
  await t.rejects(s3.send(new PutObjectCommand({ Bucket, Key, Body: 'second', IfMatch: '"0123456789abcdef0123456789abcdef"' })), { name: 'PreconditionFailed' },
    'If-Match of another ETag: 412');
  t.equal(await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString(), 'first', 'the object is unchanged');
  const second = await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'second', IfMatch: first.ETag }));
  t.not(second.ETag, first.ETag, 'If-Match of the current ETag writes');
  await t.rejects(s3.send(new PutObjectCommand({ Bucket, Key: 'conditional/none', Body: 'x', IfMatch: first.ETag })), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } },
    'If-Match of a key without an object: 404, as S3 answers');
  await t.rejects(s3.send(new CopyObjectCommand({ Bucket, Key, CopySource: `${Bucket}/single.txt`, IfNoneMatch: '*' })), { name: 'PreconditionFailed' },
    'CopyObject holds its destination\'s condition too');

  const raw = await fetch(`${front.url}/${Bucket}/${encodeURIComponent(Key)}`, { method: 'PUT', headers: { 'if-none-match': '*' }, body: 'third' });
  t.equal(raw.status, 412);
  t.match(await raw.text(), /^<\?xml[^>]*>\n<Error><Code>PreconditionFailed<\/Code><Message>At least one of the pre-conditions you specified did not hold<\/Message><Condition>If-None-Match<\/Condition><RequestId>[^<]+<\/RequestId><\/Error>$/,
    'S3\'s error document');
  const both = await fetch(`${front.url}/${Bucket}/${encodeURIComponent(Key)}`, { method: 'PUT', headers: { 'if-none-match': '*', 'if-match': String(second.ETag) }, body: 'x' });
  t.equal(both.status, 501, 'both conditions at once: not implemented, as in S3');
  const etagList = await fetch(`${front.url}/${Bucket}/${encodeURIComponent(Key)}`, { method: 'PUT', headers: { 'if-none-match': '"abc"' }, body: 'x' });
  t.equal(etagList.status, 501, 'If-None-Match takes only *');
  t.equal(await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToString(), 'second', 'no refused write landed');
});

t.test('a multipart upload\'s condition is held at completion, against real S3\'s multipart ETag', async (t) => {
  const Key = 'conditional/multi.bin';
  const upload = (IfMatch?: string, IfNoneMatch?: string) =>
    new Upload({ client: s3, params: { Bucket, Key, Body: Buffer.concat(parts.slice(0, 2)), IfMatch, IfNoneMatch }, partSize: PART }).done();
  const created = await upload(undefined, '*');
  t.match(created.ETag, /-2"$/, 'If-None-Match * on a new key completes');
  await t.rejects(upload(undefined, '*'), { name: 'PreconditionFailed' }, 'If-None-Match * on an existing key: the completion is refused');
  await t.rejects(upload(`"${partsMd5}-3"`), { name: 'PreconditionFailed' }, 'If-Match of another ETag: refused');
  t.equal((await s3.send(new HeadObjectCommand({ Bucket, Key }))).ETag, created.ETag, 'the refused completions changed nothing');
  const replaced = await upload(created.ETag);
  t.equal(replaced.ETag, created.ETag, 'If-Match of the multipart ETag clients see (not s3rver\'s plain MD5) completes');
});
