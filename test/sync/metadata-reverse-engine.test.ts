/**
 * The metadata's way back (Cosmos → DynamoDB) on tables held in memory, each behaving as its
 * real one (Cosmos: write times and forward-copy fingerprints; DynamoDB: conditional puts and
 * its item size): only what Azure changed goes back, what AWS changed meanwhile is named and
 * counted but never overwritten, and the sync service fails such a run, class conflict, unless
 * keep-aws. Every attribute type and the longest keys through the real Cosmos and DynamoDB are
 * proven on the twin (metadata-reverse.test.ts).
 */
import t, { type Test } from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/schema.js';
import type { Item } from '../../src/core/items.js';
import type { MetadataSyncSummary, ReverseMetadataSummary } from '../../src/core/sync-summary.js';
import { createMetrics } from '../../src/metrics/index.js';
import { openStore } from '../../src/store/index.js';
import type { SyncRunRecord } from '../../src/store/types.js';
import { syncMetadata } from '../../src/sync/metadata.js';
import { syncMetadataReverse } from '../../src/sync/metadata-reverse.js';
import { SyncService, type SyncRequest } from '../../src/sync/service.js';
import { IMAGES_SCHEMA } from '../contract/document-table.js';
import { memoryAdapters, memoryConfig, type MemoryAdapters } from '../helpers/memory-adapters.js';
import { MemoryDocumentTable } from '../helpers/memory-document-table.js';
import { ManualClock } from '../store/temp-store.js';

const work = await mkdtemp(join(tmpdir(), 'drsentinel-reverse-engine-'));
t.teardown(() => rm(work, { recursive: true, force: true }));

/** DynamoDB and Cosmos in memory, on one clock moved by hand. */
function tables() {
  const clock = new ManualClock();
  const dynamo = new MemoryDocumentTable('dynamodb://images', IMAGES_SCHEMA, { behaves: 'dynamodb', clock });
  const azure = new MemoryDocumentTable('cosmos://drsentinel/images', IMAGES_SCHEMA, { behaves: 'cosmos', clock });
  /** The failover: from now on Cosmos is in charge. Write times have whole seconds, so one passes first. */
  const failover = (): Date => {
    clock.advance(1100);
    const since = clock.now();
    clock.advance(50);
    return since;
  };
  return { clock, dynamo, azure, failover };
}

/** The Azure application creating a document of its own. */
const createInAzure = (azure: MemoryDocumentTable, item: Item) => azure.write(item);
/** The Azure application changing a document: it rewrites the fields it knows and keeps the others. */
const editInAzure = (azure: MemoryDocumentTable, item: Item) => azure.write(item, { keepSource: true });

const keyOf = (item: Item): Item => ({ imageId: item.imageId!, chunkIndex: item.chunkIndex! });

const tuning = (name: string) => ({ sampleRatio: 1, batchSize: 25, concurrency: 2, quarantineFile: join(work, `${name}.jsonl`) });

async function forward(t: Test, name: string, { dynamo, azure, clock }: ReturnType<typeof tables>): Promise<void> {
  const summary = await syncMetadata({ runId: name, source: dynamo, destination: azure, mode: 'scan', clock, ...tuning(name) });
  t.equal(summary.verification.status, 'pass', `${name}: ${summary.verification.reason}`);
}

t.test('the reverse delta carried into the same table leaves the items unchanged since untouched', async (t) => {
  const env = tables();
  const { dynamo, azure } = env;
  const rows = Array.from({ length: 30 }, (_, i): Item => ({ imageId: { S: `row-${i % 4}` }, chunkIndex: { N: String(i) }, n: { N: String(i) } }));
  await dynamo.bulkWrite(rows.map((item) => ({ type: 'put' as const, item })));
  await forward(t, 'forward-same', env);

  const since = env.failover();
  const edited = rows.slice(0, 3).map((item): Item => ({ ...item, n: { N: '-1' }, note: { S: 'edited in Azure' } }));
  for (const item of edited) editInAzure(azure, item);
  // DynamoDB changes made after the failover (a late writer) must not be overwritten by items Cosmos did not change.
  const late: Item = { ...rows[10]!, n: { N: '1000' } };
  await dynamo.bulkWrite([{ type: 'put', item: late }]);

  const back = await syncMetadataReverse({ source: azure, destination: dynamo, schema: IMAGES_SCHEMA, since, ...tuning('back-same') });
  t.equal(back.verification.status, 'pass', back.verification.reason);
  t.equal(back.import.written, 3, 'only the three edited items are written');
  t.equal(await dynamo.count(), 30);
  for (const item of edited) t.strictSame(await dynamo.get(keyOf(item)), item);
  t.strictSame(await dynamo.get(keyOf(late)), late, 'an item Cosmos did not change keeps its DynamoDB value');
});

t.test('an item too large for DynamoDB is quarantined by key on the way back; the rest goes on', async (t) => {
  const env = tables();
  const { dynamo: destination, azure } = env;
  const since = env.failover();
  const big: Item = { imageId: { S: 'big' }, chunkIndex: { N: '1' }, content: { S: 'x'.repeat(500 * 1024) } };
  const fine: Item = { imageId: { S: 'fine' }, chunkIndex: { N: '1' }, content: { S: 'small' } };
  createInAzure(azure, big);
  createInAzure(azure, fine);

  const back = await syncMetadataReverse({ source: azure, destination, schema: IMAGES_SCHEMA, since, ...tuning('too-big') });
  t.equal(back.import.written, 1);
  t.equal(back.import.quarantined, 1);
  t.strictSame(await destination.get(keyOf(fine)), fine);
  t.equal(await destination.get(keyOf(big)), undefined);
  t.equal(back.verification.status, 'fail');
  t.match(back.verification.reason, /1 changed items could not be written back/);
  const quarantined = (await readFile(tuning('too-big').quarantineFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { file: string; line: number; reason: string; key: Item });
  t.equal(quarantined.length, 1);
  t.strictSame(quarantined[0]!.key, keyOf(big), 'named by its key alone');
  t.match(quarantined[0]!.file, /^changes:cosmos:\/\//);
  t.ok(quarantined[0]!.line >= 1);
});

t.test('reverse writes are conditional: what changed on AWS after the failover is not overwritten, but named and counted', async (t) => {
  const env = tables();
  const { dynamo, azure } = env;
  const row = (i: number, v: string, updatedAt = '2026-01-01T00:00:00.000Z'): Item => ({ imageId: { S: 'c' }, chunkIndex: { N: String(i) }, v: { S: v }, updatedAt: { S: updatedAt } });
  const onAws = '2026-06-01T12:00:00.000Z';
  // 1 edited on Azure; 2 edited on both sides; 3 created on Azure; 4 created on both sides;
  // 5 edited on Azure, deleted on AWS; 6 changed on AWS only; 7 changed nowhere; 8 deleted on AWS only (a TTL).
  await dynamo.bulkWrite([1, 2, 5, 6, 7, 8].map((i) => ({ type: 'put' as const, item: row(i, 'before') })));
  await forward(t, 'forward-conflicts', env);
  const since = env.failover();
  // The activation's final sync: from here every document reads as changed since the failover.
  await forward(t, 'final-conflicts', env);
  for (const i of [1, 2, 5]) editInAzure(azure, row(i, 'azure'));
  for (const i of [3, 4]) createInAzure(azure, row(i, 'azure'));
  await dynamo.bulkWrite([
    ...[2, 4, 6].map((i) => ({ type: 'put' as const, item: row(i, 'aws', onAws) })),
    ...[5, 8].map((i) => ({ type: 'delete' as const, item: keyOf(row(i, '')) })),
  ]);

  const back = await syncMetadataReverse({ source: azure, destination: dynamo, schema: IMAGES_SCHEMA, since, updatedAttribute: 'updatedAt', ...tuning('conflicts') });
  t.equal(back.verification.status, 'fail');
  t.match(back.verification.reason, /^3 items in conflict with AWS, not overwritten \(first: \{"imageId":\{"S":"c"\},"chunkIndex":\{"N":"[245]"\}\} /);
  t.equal(back.conflicts.count, 3);
  t.equal(back.conflicts.resolution, 'fail');
  const named = [...back.conflicts.first].sort((a, b) => Number((a.key.chunkIndex as { N: string }).N) - Number((b.key.chunkIndex as { N: string }).N));
  t.strictSame(named.map(({ key, reason, awsTime }) => ({ key, reason, awsTime })), [
    { key: keyOf(row(2, '')), reason: `changed on AWS after ${since.toISOString()}`, awsTime: onAws },
    { key: keyOf(row(4, '')), reason: 'AWS holds the key, and the document written on Azure does not say which AWS version it came from', awsTime: onAws },
    { key: keyOf(row(5, '')), reason: `deleted on AWS after ${since.toISOString()}`, awsTime: undefined },
  ]);
  for (const c of named) t.ok(c.azureTime && Date.parse(c.azureTime) >= Math.floor(since.getTime() / 1000) * 1000, `Azure's time of ${JSON.stringify(c.key)}: ${c.azureTime}`);
  t.equal(back.import.records, 8, 'every document written since the failover is read');
  t.equal(back.import.written, 2, 'the two only Azure changed');
  t.equal(back.import.quarantined, 0);
  t.match(back.verification.measurements, { conflicts: 3, alreadyEqual: 1, unchangedOnAzure: 2, written: 2 });
  t.strictSame(back.verification.evidence.conflicts, back.conflicts.first);
  const value = async (i: number) => ((await dynamo.get(keyOf(row(i, ''))))?.v as { S: string } | undefined)?.S;
  t.strictSame(await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(value)), ['azure', 'aws', 'azure', 'aws', undefined, 'aws', 'before', undefined], 'AWS\'s changes all stand, its deletes too');

  const kept = await syncMetadataReverse({ source: azure, destination: dynamo, schema: IMAGES_SCHEMA, since, conflicts: 'keep-aws', ...tuning('keep-aws') });
  t.equal(kept.verification.status, 'pass', kept.verification.reason);
  t.match(kept.verification.reason, /3 items in conflict with AWS, AWS's versions kept$/);
  t.equal(kept.conflicts.count, 3, 'still counted');
  t.equal(kept.conflicts.resolution, 'keep-aws');
  t.equal(kept.conflicts.first.length, 3, 'still named');
  t.equal(kept.conflicts.first.find((c) => c.awsTime)?.awsTime, undefined, 'no update-time attribute named this time');
  t.match(kept.verification.measurements, { written: 0, alreadyEqual: 3, unchangedOnAzure: 2, conflicts: 3 }, 'a second pass writes nothing twice');
  t.strictSame(await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(value)), ['azure', 'aws', 'azure', 'aws', undefined, 'aws', 'before', undefined]);
});

t.test('a condition refused at write time is a conflict too: AWS\'s write in between stands', async (t) => {
  const env = tables();
  const { dynamo, azure } = env;
  const item: Item = { imageId: { S: 'raced' }, chunkIndex: { N: '1' }, v: { S: 'before' } };
  await dynamo.bulkWrite([{ type: 'put', item }]);
  await forward(t, 'forward-race', env);
  const since = env.failover();
  editInAzure(azure, { ...item, v: { S: 'azure' } });
  const meanwhile: Item = { ...item, v: { S: 'aws, meanwhile' } };
  // AWS's application writes after the reverse flow has read the item, before its conditional put lands.
  const racing = dynamo.faults.stall('bulkWrite');
  void racing.reached.then(() => {
    dynamo.write(meanwhile);
    racing.release();
  });

  const back = await syncMetadataReverse({ source: azure, destination: dynamo, schema: IMAGES_SCHEMA, since, ...tuning('race') });
  t.equal(back.verification.status, 'fail');
  t.equal(back.conflicts.count, 1);
  t.match(back.conflicts.first[0], { key: keyOf(item), reason: 'the item changed on DynamoDB after it was read', azureTime: String });
  t.equal(back.import.quarantined, 0, 'a conflict, not a failure');
  t.strictSame(await dynamo.get(keyOf(item)), meanwhile);
});

/** A SyncService over these adapters, its conflicts resolved as told, AWS's write time in `updatedAt`. */
function syncService(t: Test, adapters: MemoryAdapters, clock: ManualClock, reverseConflicts: Config['sync']['reverseConflicts']) {
  const config = memoryConfig(join(work, `state-${reverseConflicts}`));
  Object.assign(config.aws.dynamodb, { updatedAttribute: 'updatedAt' });
  Object.assign(config.sync, { reverseConflicts, metadataExport: 'scan', metadataSampleRatio: 1 });
  const store = openStore(join(config.service.stateDir, 'drsentinel.db'), { clock });
  const syncs = new SyncService({ config, adapters, store, metrics: createMetrics(), clock, log: () => {} });
  t.teardown(async () => {
    await syncs.close();
    await store.close();
  });
  return async (request: SyncRequest) => syncs.wait((await syncs.start('metadata', request)).id);
}

const carriedBack = (metadata: MetadataSyncSummary): metadata is ReverseMetadataSummary => 'conflicts' in metadata;

/** The conflicts a reverse metadata run recorded. */
const conflictsOf = (run: SyncRunRecord): ReverseMetadataSummary['conflicts'] | undefined => {
  const metadata = run.flow === 'metadata' ? run.summary.metadata : undefined;
  return metadata && carriedBack(metadata) ? metadata.conflicts : undefined;
};

t.test('a reverse run with a conflict fails, class conflict, naming the item with the time aws.dynamodb.updatedAttribute holds; keep-aws passes', async (t) => {
  const clock = new ManualClock();
  const adapters = memoryAdapters(memoryConfig(work), IMAGES_SCHEMA, clock);
  const { dynamodb: dynamo, cosmos: azure } = adapters.tables;
  const row = (i: number, v: string, updatedAt = '2026-01-01T00:00:00.000Z'): Item => ({ imageId: { S: 'svc' }, chunkIndex: { N: String(i) }, v: { S: v }, updatedAt: { S: updatedAt } });
  const onAws = '2026-06-01T12:00:00.000Z';
  await dynamo.bulkWrite([1, 2].map((i) => ({ type: 'put' as const, item: row(i, 'before') })));
  const run = syncService(t, adapters, clock, 'fail');
  const forwardRun = await run({});
  t.equal(forwardRun.status, 'succeeded', String(forwardRun.summary.error));
  clock.advance(1100);
  const since = clock.now();
  clock.advance(50);
  // 1 edited on Azure alone; 2 edited on both sides.
  for (const i of [1, 2]) editInAzure(azure, row(i, 'azure'));
  await dynamo.bulkWrite([{ type: 'put', item: row(2, 'aws', onAws) }]);

  const back = await run({ reverse: true, since });
  t.equal(back.status, 'failed');
  t.equal(back.summary.failureClass, 'conflict');
  t.match(back.summary.error, /^1 item changed on AWS after the contingency began, not overwritten \(\{"imageId":\{"S":"svc"\},"chunkIndex":\{"N":"2"\}\}\); sync\.reverseConflicts: keep-aws/);
  const conflicts = conflictsOf(back);
  t.match(conflicts, { count: 1, resolution: 'fail', first: [{ key: keyOf(row(2, '')), awsTime: onAws }] });
  const value = async (i: number) => ((await dynamo.get(keyOf(row(i, ''))))?.v as { S: string } | undefined)?.S;
  t.strictSame([await value(1), await value(2)], ['azure', 'aws'], "Azure's change went back; AWS's stands");

  const kept = await syncService(t, adapters, clock, 'keep-aws')({ reverse: true, since });
  t.equal(kept.status, 'succeeded', String(kept.summary.verification?.reason));
  t.notOk(kept.summary.failureClass);
  t.match(conflictsOf(kept), { count: 1, resolution: 'keep-aws' }, 'still reported');
});
