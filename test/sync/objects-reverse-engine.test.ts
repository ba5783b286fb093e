/**
 * The objects' way back (Azure → AWS) on the sync service over stores held in memory, whose
 * conditional puts refuse as S3's do: with sync.reverseConflicts keep-aws AWS's version stays
 * and the run passes, the conflict reported, and the catch-up pass knows our own first copies;
 * a condition refused at write time is a conflict. The first pass against the twin's S3 front,
 * conflict and all, is objects-reverse.test.ts.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import type { Config } from '../../src/config/schema.js';
import type { ObjectSyncSummary } from '../../src/core/sync-summary.js';
import { createMetrics } from '../../src/metrics/index.js';
import { openStore } from '../../src/store/index.js';
import type { SyncRunRecord } from '../../src/store/types.js';
import { syncObjects } from '../../src/sync/objects.js';
import { SyncService } from '../../src/sync/service.js';
import { IMAGES_SCHEMA } from '../contract/document-table.js';
import { memoryAdapters, memoryConfig } from '../helpers/memory-adapters.js';
import { ManualClock } from '../store/temp-store.js';

/** A SyncService on uploads held in memory, with a store of its own; one clock for all, moved by hand. */
function setUp(t: Test, reverseConflicts: Config['sync']['reverseConflicts']) {
  const clock = new ManualClock();
  const config = memoryConfig(t.testdir());
  config.sync.reverseConflicts = reverseConflicts;
  const adapters = memoryAdapters(config, IMAGES_SCHEMA, clock);
  const store = openStore(join(config.service.stateDir, 'drsentinel.db'), { clock });
  const syncs = new SyncService({ config, adapters, store, metrics: createMetrics(), clock, log: () => {} });
  t.teardown(async () => {
    await syncs.close();
    await store.close();
  });
  const aws = adapters.objects.awsUploads;
  const azure = adapters.objects.azureUploads;
  const s3 = {
    put: (key: string, body: string) => void aws.add(key, body),
    text: (key: string) => aws.objects.get(key)?.bytes.toString(),
    etag: (key: string) => aws.objects.get(key)?.info.etag,
  };
  const run = async (reverse: boolean): Promise<SyncRunRecord> => syncs.wait((await syncs.start('uploads', { reverse })).id);
  return { clock, store, aws, azure, s3, run };
}

const why = (run: SyncRunRecord) => JSON.stringify({ error: run.summary.error, verification: run.summary.verification?.reason });
const transferOf = (run: SyncRunRecord): ObjectSyncSummary => {
  const transfer = run.flow === 'metadata' ? undefined : run.summary.transfer;
  if (!transfer) throw new Error(`run ${run.id} recorded no transfer: ${why(run)}`);
  return transfer;
};

/**
 * Five objects on AWS copied forward; then the contingency begins and, a second later (the
 * stores keep whole seconds, so a write in the same second as its start counts as during it):
 * Azure changes one alone, both sides change one, AWS changes one alone and deletes one, Azure
 * creates one.
 */
async function contingency(env: ReturnType<typeof setUp>) {
  const { s3, aws, azure, store, run, clock } = env;
  for (const key of ['same.txt', 'azure-changed.txt', 'both-changed.txt', 'aws-changed.txt', 'aws-deleted.txt']) s3.put(key, `AWS before: ${key}`);
  const forward = await run(false);
  if (forward.status !== 'succeeded') throw new Error(`the forward run failed: ${why(forward)}`);
  clock.advance(1100);
  const began = new Date((await store.contingencies.begin('activation-1', 'activation')).since);
  clock.advance(1100);
  azure.add('azure-changed.txt', 'Azure during: azure-changed.txt');
  azure.add('both-changed.txt', 'Azure during: both-changed.txt');
  azure.add('azure-new.txt', 'Azure during: a new upload');
  s3.put('both-changed.txt', 'AWS during: both-changed.txt, a longer body');
  s3.put('aws-changed.txt', 'AWS during: aws-changed.txt');
  aws.objects.delete('aws-deleted.txt');
  return began;
}

t.test("keep-aws: AWS's version stays and the run passes, the conflict reported; the catch-up pass knows our own copies", async (t) => {
  const env = setUp(t, 'keep-aws');
  await contingency(env);
  const { s3, azure, clock } = env;
  const first = await env.run(true);
  t.equal(first.status, 'succeeded', why(first));
  t.notOk(first.summary.failureClass);
  t.match(transferOf(first).conflicts, { count: 1, resolution: 'keep-aws', first: [{ key: 'both-changed.txt' }] }, 'still reported');
  t.equal(s3.text('both-changed.txt'), 'AWS during: both-changed.txt, a longer body');

  const written = () => ['azure-changed.txt', 'azure-new.txt'].map(s3.etag);
  const before = written();
  const again = await env.run(true);
  t.equal(again.status, 'succeeded', why(again));
  t.match(transferOf(again), { copied: 0, unchanged: 3, conflicts: { count: 1, first: [{ key: 'both-changed.txt' }] } }, 'our own copies, written after the contingency began, are current: no conflict');
  t.same(written(), before, 'nothing rewritten');

  clock.advance(1100);
  azure.add('azure-changed.txt', 'Azure after the first pass');
  const catchUp = await env.run(true);
  t.equal(catchUp.status, 'succeeded', why(catchUp));
  t.match(transferOf(catchUp), { copied: 1, conflicts: { count: 1 } }, 'changed on Azure again: written over our own first copy, no conflict');
  t.equal(s3.text('azure-changed.txt'), 'Azure after the first pass');
});

t.test('a condition refused at write time is a conflict: the write AWS made in between stands', async (t) => {
  const { aws, azure, s3, clock } = setUp(t, 'fail');
  azure.add('raced.txt', 'Azure: raced');
  azure.add('calm.txt', 'Azure: calm');
  const since = clock.now();
  // AWS: an upload of the same key lands while our put of it is on its way.
  const racing = aws.faults.stall('put', { key: 'raced.txt' });
  void racing.reached.then(() => {
    s3.put('raced.txt', 'AWS: won the race');
    racing.release();
  });
  const summary = await syncObjects({ flow: 'uploads', mode: 'copy', source: azure, destination: aws, transfers: 2, checkers: 2, conflictsSince: since });
  t.match(summary, { copied: 1, failed: 0, conflicts: { count: 1, resolution: 'fail', first: [{ key: 'raced.txt', reason: /If-None-Match \*/ }] } });
  t.ok(summary.conflicts!.first[0]!.awsTime, "AWS's time, read after the refusal");
  t.equal(s3.text('raced.txt'), 'AWS: won the race');
  t.equal(s3.text('calm.txt'), 'Azure: calm');
});
