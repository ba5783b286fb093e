/**
 * S3 lists keys in UTF-8 byte order, Blob Storage in UTF-16 code-unit order: they disagree
 * where an astral character (an emoji) meets one in U+E000–U+FFFF (fullwidth forms). Proven
 * here on the real twin stores, not on fakes: a mirror over such keys copies each once,
 * recognises them as current on the next run, and deletes exactly the one that went away.
 */
import t from 'tap';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { withLab } from '../helpers/lab.js';
import { adaptersFor, freshName, labSdk } from '../contract/lab-adapters.js';
import { compareUtf16, compareUtf8 } from '../../src/sync/merge.js';
import { syncObjects } from '../../src/sync/objects.js';
import { verifyMirror } from '../../src/sync/verify.js';

const lab = await withLab(t, { empty: true });
const sdk = labSdk(t, lab);
const bucket = freshName('order-');
const container = freshName('order-');
await sdk.s3.send(new CreateBucketCommand({ Bucket: bucket }));
await sdk.blob.getContainerClient(container).create();
const adapters = adaptersFor(t, lab, (c) => {
  c.aws.s3.buckets.uploads = bucket;
  c.azure.blob.containers.uploads = container;
});
const s3 = adapters.objects.awsUploads;
const blob = adapters.objects.azureUploads;

const keys = ['a', 'a😀', 'a😀/x', 'a\uFF01', 'a\uFFE5b', 'ab', '😀', '\uFF01', 'z'];

t.test('the two stores really list these keys in different orders', async (t) => {
  for (const key of keys) await sdk.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}` }));
  const fromS3: string[] = [];
  for await (const o of s3.list()) fromS3.push(o.key);
  t.same(fromS3, [...keys].sort(compareUtf8), 'S3: UTF-8 order');
  const first = await syncObjects({ flow: 'order', mode: 'mirror', source: s3, destination: blob, transfers: 4, checkers: 4 });
  t.equal(first.copied, keys.length, 'every key copied once');
  t.equal(first.failed + first.rejected, 0);
  const fromBlob: string[] = [];
  for await (const o of blob.list()) fromBlob.push(o.key);
  t.same(fromBlob, [...keys].sort(compareUtf16), 'Blob: UTF-16 order');
  t.notSame(fromS3, fromBlob, 'and the orders differ');
});

t.test('a second mirror sees every key as current; a deleted one is removed, the rest kept', async (t) => {
  const again = await syncObjects({ flow: 'order', mode: 'mirror', source: s3, destination: blob, transfers: 4, checkers: 4 });
  t.equal(again.copied, 0);
  t.equal(again.unchanged, keys.length);
  t.equal(again.deleted, 0, 'nothing deleted by a misordered merge');
  await sdk.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'a😀' }));
  const third = await syncObjects({ flow: 'order', mode: 'mirror', source: s3, destination: blob, transfers: 4, checkers: 4 });
  t.equal(third.deleted, 1);
  t.equal(third.copied, 0);
  t.notOk(await blob.head('a😀'), 'the deleted key is gone');
  t.ok(await blob.head('a😀/x'), 'its neighbours stay');
  t.ok(await blob.head('a\uFF01'));
  const proof = await verifyMirror({ source: s3, destination: blob });
  t.equal(proof.status, 'pass', proof.reason);
});
