import t from 'tap';
import { CreateBucketCommand, GetBucketPolicyCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { withLab } from '../helpers/lab.js';
import { adaptersFor, freshName, labSdk } from '../contract/lab-adapters.js';

const lab = await withLab(t, { empty: true });
const sdk = labSdk(t, lab);

t.test('block denies new uploads, keeps the bucket\'s own rules, and unblock lets them in again', async (t) => {
  const bucket = freshName('gate-');
  await sdk.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const own = { Sid: 'KeepThis', Effect: 'Deny', Principal: '*', Action: 's3:DeleteObject', Resource: `arn:aws:s3:::${bucket}/*` };
  await sdk.s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify({ Version: '2012-10-17', Statement: [own] }) }));
  const gate = adaptersFor(t, lab, (c) => void (c.aws.s3.buckets.uploads = bucket)).uploadGate;
  const upload = (key: string) => sdk.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));

  t.equal(await gate.isBlocked(), false);
  await upload('before');
  await gate.block();
  await gate.block();
  t.equal(await gate.isBlocked(), true);
  await t.rejects(upload('during'), { name: 'AccessDenied' }, 'an upload during the failover is refused');
  const during = JSON.parse((await sdk.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!) as { Statement: Array<{ Sid: string }> };
  t.same(during.Statement.map((s) => s.Sid), ['KeepThis', 'DrsentinelFailoverBlocksUploads'], 'blocking once more adds nothing');

  await gate.unblock();
  await gate.unblock();
  t.equal(await gate.isBlocked(), false);
  await upload('after');
  const after = JSON.parse((await sdk.s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy!) as { Statement: Array<{ Sid: string }> };
  t.same(after.Statement.map((s) => s.Sid), ['KeepThis'], 'the bucket\'s own rule stays');
});

t.test('on a bucket without a policy, unblock removes the policy it made', async (t) => {
  const bucket = freshName('gate-');
  await sdk.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const gate = adaptersFor(t, lab, (c) => void (c.aws.s3.buckets.uploads = bucket)).uploadGate;
  await gate.block();
  await gate.unblock();
  await t.rejects(sdk.s3.send(new GetBucketPolicyCommand({ Bucket: bucket })), { name: 'NoSuchBucketPolicy' });
});
