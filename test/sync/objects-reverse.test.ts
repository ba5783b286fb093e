/**
 * The objects' way back (Azure → AWS) against the lab twin, whose S3 front holds If-Match and
 * If-None-Match as S3 does: what AWS changed after the contingency began is never overwritten
 * but named by key with both times and counted, and the run fails, class conflict; what Azure
 * created or changed alone goes back; Azure's forward copies hold nothing of Azure's, so AWS's
 * changes and deletes stand. keep-aws, the catch-up pass and a condition refused at write time
 * are proven on stores held in memory (objects-reverse-engine.test.ts).
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { buildAdapters } from '../../src/adapters/index.js';
import { readSmall } from '../../src/adapters/digest.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { systemClock } from '../../src/core/clock.js';
import { createMetrics } from '../../src/metrics/index.js';
import { openStore } from '../../src/store/index.js';
import type { SyncRunRecord } from '../../src/store/types.js';
import type { ObjectSyncSummary } from '../../src/core/sync-summary.js';
import { SyncService } from '../../src/sync/service.js';
import { freshName, labSdk } from '../contract/lab-adapters.js';
import { withLab } from '../helpers/lab.js';

t.setTimeout(600_000);
const lab = await withLab(t, { empty: true });
const sdk = labSdk(t, lab);

/** A SyncService on a fresh uploads bucket and container, with a store of its own. */
async function setUp(t: Test, reverseConflicts: Config['sync']['reverseConflicts']) {
  const bucket = freshName('reverse-');
  const container = freshName('reverse-');
  await sdk.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await sdk.blob.getContainerClient(container).create();
  const config = structuredClone(loadConfig(lab.configFile).config);
  config.aws.s3.buckets.uploads = bucket;
  config.azure.blob.containers.uploads = container;
  config.sync.reverseConflicts = reverseConflicts;
  const adapters = buildAdapters(config);
  const store = openStore(join(t.testdir(), 'drsentinel.db'));
  const syncs = new SyncService({ config, adapters, store, metrics: createMetrics(), clock: systemClock, log: () => {} });
  t.teardown(async () => {
    await syncs.close();
    adapters.close();
    await store.close();
  });
  const s3 = {
    put: (key: string, body: string) => sdk.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })),
    delete: (key: string) => sdk.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
    text: async (key: string) => (await readSmall((await sdk.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as NodeJS.ReadableStream)).toString(),
    head: (key: string) => sdk.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })),
    exists: (key: string) => sdk.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(() => true, () => false),
  };
  const blob = {
    put: (key: string, body: string) => sdk.blob.getContainerClient(container).getBlockBlobClient(key).upload(body, Buffer.byteLength(body)),
  };
  const run = async (reverse: boolean): Promise<SyncRunRecord> => syncs.wait((await syncs.start('uploads', { reverse })).id);
  return { adapters, store, s3, blob, run };
}

const why = (run: SyncRunRecord) => JSON.stringify({ error: run.summary.error, verification: run.summary.verification?.reason });
const transferOf = (run: SyncRunRecord): ObjectSyncSummary => {
  const transfer = run.flow === 'metadata' ? undefined : run.summary.transfer;
  if (!transfer) throw new Error(`run ${run.id} recorded no transfer: ${why(run)}`);
  return transfer;
};

/**
 * Five objects on AWS copied forward; then the contingency begins and, a second later (S3 keeps
 * whole seconds, so a write in the same second as its start counts as during it): Azure changes one alone, both sides change one, AWS changes one alone and
 * deletes one, Azure creates one.
 */
async function contingency(env: Awaited<ReturnType<typeof setUp>>) {
  const { s3, blob, store, run } = env;
  for (const key of ['same.txt', 'azure-changed.txt', 'both-changed.txt', 'aws-changed.txt', 'aws-deleted.txt']) await s3.put(key, `AWS before: ${key}`);
  const forward = await run(false);
  if (forward.status !== 'succeeded') throw new Error(`the forward run failed: ${why(forward)}`);
  // A write in the contingency's first second counts as during it: keep the seconds apart.
  await sleep(1100);
  const began = new Date((await store.contingencies.begin('activation-1', 'activation')).since);
  await sleep(1100);
  await blob.put('azure-changed.txt', 'Azure during: azure-changed.txt');
  await blob.put('both-changed.txt', 'Azure during: both-changed.txt');
  await blob.put('azure-new.txt', 'Azure during: a new upload');
  await s3.put('both-changed.txt', 'AWS during: both-changed.txt, a longer body');
  await s3.put('aws-changed.txt', 'AWS during: aws-changed.txt');
  await s3.delete('aws-deleted.txt');
  return began;
}

t.test('a conflict fails the run, class conflict: AWS keeps its version, named with both times; the rest goes back', async (t) => {
  const env = await setUp(t, 'fail');
  const began = await contingency(env);
  const { s3 } = env;
  const back = await env.run(true);
  t.equal(back.status, 'failed', why(back));
  t.equal(back.summary.failureClass, 'conflict');
  t.match(back.summary.error, /^1 object changed on AWS after the contingency began, not overwritten \(both-changed\.txt\); sync\.reverseConflicts: keep-aws/);
  const transfer = transferOf(back);
  t.equal(transfer.conflicts?.count, 1);
  t.equal(transfer.conflicts?.resolution, 'fail');
  const [conflict] = transfer.conflicts!.first;
  t.match(conflict, { key: 'both-changed.txt', reason: `changed on AWS after ${began.toISOString()}` });
  t.ok(Date.parse(conflict!.azureTime) >= Date.parse(began.toISOString()) - 1000, `Azure's time ${conflict!.azureTime}`);
  t.equal(conflict!.awsTime, (await s3.head('both-changed.txt')).LastModified!.toISOString(), "AWS's time is its version's");
  t.equal(await s3.text('both-changed.txt'), 'AWS during: both-changed.txt, a longer body', "AWS's version is not overwritten");

  t.equal(await s3.text('azure-changed.txt'), 'Azure during: azure-changed.txt', 'changed on Azure alone: written over the version AWS kept');
  t.equal(await s3.text('azure-new.txt'), 'Azure during: a new upload', 'created on Azure: written');
  t.equal(await s3.text('aws-changed.txt'), 'AWS during: aws-changed.txt', "changed on AWS alone: Azure's forward copy does not go back over it");
  t.notOk(await s3.exists('aws-deleted.txt'), 'deleted on AWS: not put back');
  t.match(transfer, { copied: 2, unchanged: 1, unchangedOnAzure: 2, failed: 0 });
  t.equal(back.summary.verification?.status, 'pass', 'the sample leaves out what was left to AWS');
});
