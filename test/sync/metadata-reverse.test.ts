import t, { type Test } from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Container } from '@azure/cosmos';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { canonicalHash } from '../../src/core/canonical.js';
import { systemClock } from '../../src/core/clock.js';
import { documentId, partitionKeyPath, SOURCE_FIELD, toDocument, type CosmosDocument } from '../../src/core/documents.js';
import type { AttributeValue, Item, KeySchema } from '../../src/core/items.js';
import type { DocumentTable } from '../../src/core/ports.js';
import { syncMetadata } from '../../src/sync/metadata.js';
import type { MetadataSyncSummary, ReverseMetadataSummary } from '../../src/core/sync-summary.js';
import type { SyncRunRecord } from '../../src/store/types.js';
import { syncMetadataReverse } from '../../src/sync/metadata-reverse.js';
import { SyncService, type SyncRequest } from '../../src/sync/service.js';
import { buildAdapters } from '../../src/adapters/index.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createMetrics } from '../../src/metrics/index.js';
import { openStore } from '../../src/store/index.js';
import { EVERY_TYPE, IMAGES_SCHEMA } from '../contract/document-table.js';
import { adaptersFor, freshName, labSdk } from '../contract/lab-adapters.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t, { empty: true });
const sdk = labSdk(t, lab);
const work = await mkdtemp(join(tmpdir(), 'drsentinel-reverse-test-'));
t.teardown(() => rm(work, { recursive: true, force: true }));
const database = sdk.cosmos.database(lab.endpoints.azure.cosmos.database);

/** A fresh, empty DynamoDB table with this schema (the images one by default), and the adapter over it. */
async function freshDynamo(t: Test, schema: KeySchema = IMAGES_SCHEMA): Promise<DocumentTable> {
  const name = await createTable(schema);
  return adaptersFor(t, lab, (c) => void (c.aws.dynamodb.table = name)).tables.dynamodb;
}

/** A fresh, empty DynamoDB table with this schema; its name. */
async function createTable(schema: KeySchema): Promise<string> {
  const name = freshName('reverse-');
  const keys = schema.rangeKey ? [schema.hashKey, schema.rangeKey] : [schema.hashKey];
  await sdk.dynamodb.send(new CreateTableCommand({
    TableName: name,
    KeySchema: keys.map((k, i) => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
    AttributeDefinitions: keys.map((k) => ({ AttributeName: k.name, AttributeType: k.type })),
    BillingMode: 'PAY_PER_REQUEST',
  }));
  // dynalite turns a new table ACTIVE on a timer.
  while ((await sdk.dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus !== 'ACTIVE') await sleep(20);
  return name;
}

interface Azure {
  table: DocumentTable;
  container: Container;
  schema: KeySchema;
}

async function freshCosmos(t: Test, schema: KeySchema = IMAGES_SCHEMA): Promise<Azure> {
  const id = freshName('reverse-');
  await database.containers.createIfNotExists({ id, partitionKey: { paths: [partitionKeyPath(schema)] } });
  return { table: adaptersFor(t, lab, (c) => void (c.azure.cosmos.container = id)).cosmosWithSchema(schema), container: database.container(id), schema };
}

/** The Azure application creating a document of its own. */
async function createInAzure(azure: Azure, item: Item): Promise<void> {
  await azure.container.items.upsert(toDocument(item, azure.schema));
}

/** The Azure application changing a document: it rewrites the fields it knows and keeps the others. */
async function editInAzure(azure: Azure, item: Item): Promise<void> {
  const doc = toDocument(item, azure.schema);
  const { resource } = await azure.container.item(doc.id, doc[azure.schema.hashKey.name] as string).read<CosmosDocument>();
  if (!resource) throw new Error(`no document ${doc.id} to edit`);
  await azure.container.items.upsert({ ...doc, [SOURCE_FIELD]: resource[SOURCE_FIELD] });
}

/** Sets have no order: compare them sorted, everything else exactly. */
function sortSets(value: AttributeValue): AttributeValue {
  if ('SS' in value) return { SS: [...value.SS].sort() };
  if ('NS' in value) return { NS: [...value.NS].sort() };
  if ('BS' in value) return { BS: [...value.BS].sort() };
  if ('M' in value) return { M: comparable(value.M) };
  if ('L' in value) return { L: value.L.map(sortSets) };
  return value;
}
const comparable = (item: Item): Item => Object.fromEntries(Object.entries(item).map(([name, v]) => [name, sortSets(v)]));
const keyOf = (item: Item): Item => ({ imageId: item.imageId!, chunkIndex: item.chunkIndex! });

const tuning = (name: string) => ({ sampleRatio: 1, batchSize: 25, concurrency: 2, quarantineFile: join(work, `${name}.jsonl`) });

async function forward(t: Test, name: string, source: DocumentTable, azure: Azure): Promise<void> {
  const summary = await syncMetadata({ runId: name, source, destination: azure.table, mode: 'scan', clock: systemClock, ...tuning(name) });
  t.equal(summary.verification.status, 'pass', `${name}: ${summary.verification.reason}`);
}

/** The failover: from now on Cosmos is in charge. `_ts` has whole seconds, so let one pass first. */
async function failover(): Promise<Date> {
  await sleep(1100);
  const since = systemClock.now();
  await sleep(50);
  return since;
}

t.test('DynamoDB → Cosmos → DynamoDB: what changed in Cosmos comes back exactly, for every attribute type', async (t) => {
  const dynamo = await freshDynamo(t);
  const azure = await freshCosmos(t);
  const untouched: Item = { imageId: { S: 'untouched' }, chunkIndex: { N: '0' }, content: { S: 'written before the failover, never changed' } };
  const before = await dynamo.bulkWrite([{ type: 'put', item: EVERY_TYPE }, { type: 'put', item: untouched }]);
  t.equal(before.written, 2);

  await forward(t, 'forward', dynamo, azure);
  t.equal(await azure.table.count(), 2);
  t.equal(canonicalHash((await azure.table.get(keyOf(EVERY_TYPE)))!), canonicalHash(EVERY_TYPE), 'every type arrived in Cosmos intact');

  const since = await failover();
  const changed: Item = {
    ...EVERY_TYPE,
    big: { N: '-99999999999999999999999999999999999999' },
    tags: { SS: ['changed', 'during', 'the', 'contingency'] },
    extra: { L: [{ BS: ['AA==', '/w=='] }, { M: { deep: { NS: ['0.000000000000000000000000000000000001'] } } }] },
  };
  const added: Item = { ...EVERY_TYPE, imageId: { S: 'new-during-contingency' }, chunkIndex: { N: '12345678901234567890123456789012345678' }, emptyString: { S: '' } };
  await editInAzure(azure, changed);
  await createInAzure(azure, added);

  const back = await syncMetadataReverse({ source: azure.table, destination: dynamo, schema: IMAGES_SCHEMA, since, ...tuning('back') });
  t.equal(back.verification.status, 'pass', back.verification.reason);
  t.equal(back.import.records, 2, 'only the items changed since the failover are read');
  t.equal(back.import.written, 2);
  t.equal(back.import.quarantined, 0);
  t.strictSame(back.conflicts, { count: 0, first: [], resolution: 'fail' });
  t.equal(await dynamo.count(), 3);
  t.strictSame(await dynamo.get(keyOf(untouched)), untouched, 'an item unchanged since the failover is left as it is');
  for (const [what, expected] of [['changed', changed], ['added', added]] as const) {
    const got = await dynamo.get(keyOf(expected));
    t.ok(got, `${what}: in DynamoDB`);
    t.equal(canonicalHash(got!), canonicalHash(expected), `${what}: canonical hashes equal`);
    t.strictSame(comparable(got!), comparable(expected), `${what}: equal attribute by attribute, type by type`);
  }
});

t.test('the reverse delta carried into the same table leaves the items unchanged since untouched', async (t) => {
  const dynamo = await freshDynamo(t);
  const azure = await freshCosmos(t);
  const rows = Array.from({ length: 30 }, (_, i): Item => ({ imageId: { S: `row-${i % 4}` }, chunkIndex: { N: String(i) }, n: { N: String(i) } }));
  await dynamo.bulkWrite(rows.map((item) => ({ type: 'put' as const, item })));
  await forward(t, 'forward-same', dynamo, azure);

  const since = await failover();
  const edited = rows.slice(0, 3).map((item): Item => ({ ...item, n: { N: '-1' }, note: { S: 'edited in Azure' } }));
  for (const item of edited) await editInAzure(azure, item);
  // DynamoDB changes made after the failover (a late writer) must not be overwritten by items Cosmos did not change.
  const late: Item = { ...rows[10]!, n: { N: '1000' } };
  await dynamo.bulkWrite([{ type: 'put', item: late }]);

  const back = await syncMetadataReverse({ source: azure.table, destination: dynamo, schema: IMAGES_SCHEMA, since, ...tuning('back-same') });
  t.equal(back.verification.status, 'pass', back.verification.reason);
  t.equal(back.import.written, 3, 'only the three edited items are written');
  t.equal(await dynamo.count(), 30);
  for (const item of edited) t.strictSame(await dynamo.get(keyOf(item)), item);
  t.strictSame(await dynamo.get(keyOf(late)), late, 'an item Cosmos did not change keeps its DynamoDB value');
});

t.test('an item too large for DynamoDB is quarantined by key on the way back; the rest goes on', async (t) => {
  const azure = await freshCosmos(t);
  const destination = await freshDynamo(t);
  const since = await failover();
  const big: Item = { imageId: { S: 'big' }, chunkIndex: { N: '1' }, content: { S: 'x'.repeat(500 * 1024) } };
  const fine: Item = { imageId: { S: 'fine' }, chunkIndex: { N: '1' }, content: { S: 'small' } };
  await createInAzure(azure, big);
  await createInAzure(azure, fine);

  const back = await syncMetadataReverse({ source: azure.table, destination, schema: IMAGES_SCHEMA, since, ...tuning('too-big') });
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
  const dynamo = await freshDynamo(t);
  const azure = await freshCosmos(t);
  const row = (i: number, v: string, updatedAt = '2026-01-01T00:00:00.000Z'): Item => ({ imageId: { S: 'c' }, chunkIndex: { N: String(i) }, v: { S: v }, updatedAt: { S: updatedAt } });
  const onAws = '2026-06-01T12:00:00.000Z';
  // 1 edited on Azure; 2 edited on both sides; 3 created on Azure; 4 created on both sides;
  // 5 edited on Azure, deleted on AWS; 6 changed on AWS only; 7 changed nowhere; 8 deleted on AWS only (a TTL).
  await dynamo.bulkWrite([1, 2, 5, 6, 7, 8].map((i) => ({ type: 'put' as const, item: row(i, 'before') })));
  await forward(t, 'forward-conflicts', dynamo, azure);
  const since = await failover();
  // The activation's final sync: from here every document reads as changed since the failover.
  await forward(t, 'final-conflicts', dynamo, azure);
  for (const i of [1, 2, 5]) await editInAzure(azure, row(i, 'azure'));
  for (const i of [3, 4]) await createInAzure(azure, row(i, 'azure'));
  await dynamo.bulkWrite([
    ...[2, 4, 6].map((i) => ({ type: 'put' as const, item: row(i, 'aws', onAws) })),
    ...[5, 8].map((i) => ({ type: 'delete' as const, item: keyOf(row(i, '')) })),
  ]);

  const back = await syncMetadataReverse({ source: azure.table, destination: dynamo, schema: IMAGES_SCHEMA, since, updatedAttribute: 'updatedAt', ...tuning('conflicts') });
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

  const kept = await syncMetadataReverse({ source: azure.table, destination: dynamo, schema: IMAGES_SCHEMA, since, conflicts: 'keep-aws', ...tuning('keep-aws') });
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
  const dynamo = await freshDynamo(t);
  const azure = await freshCosmos(t);
  const item: Item = { imageId: { S: 'raced' }, chunkIndex: { N: '1' }, v: { S: 'before' } };
  await dynamo.bulkWrite([{ type: 'put', item }]);
  await forward(t, 'forward-race', dynamo, azure);
  const since = await failover();
  await editInAzure(azure, { ...item, v: { S: 'azure' } });
  const meanwhile: Item = { ...item, v: { S: 'aws, meanwhile' } };
  let raced = false;
  // DynamoDB as the reverse flow reads it, with AWS's application writing right after the read.
  const racing: DocumentTable = Object.assign(Object.create(dynamo) as DocumentTable, {
    get: async (key: Item, signal?: AbortSignal) => {
      const found = await dynamo.get(key, signal);
      if (!raced) {
        raced = true;
        await dynamo.bulkWrite([{ type: 'put', item: meanwhile }]);
      }
      return found;
    },
  });

  const back = await syncMetadataReverse({ source: azure.table, destination: racing, schema: IMAGES_SCHEMA, since, ...tuning('race') });
  t.equal(back.verification.status, 'fail');
  t.equal(back.conflicts.count, 1);
  t.match(back.conflicts.first[0], { key: keyOf(item), reason: 'the item changed on DynamoDB after it was read', azureTime: String });
  t.equal(back.import.quarantined, 0, 'a conflict, not a failure');
  t.strictSame(await dynamo.get(keyOf(item)), meanwhile);
});

t.test('the longest keys DynamoDB accepts reach Cosmos and come back exactly; keys alike for a thousand bytes stay apart', async (t) => {
  const schema: KeySchema = { hashKey: { name: 'pk', type: 'S' }, rangeKey: { name: 'sk', type: 'S' } };
  const dynamo = await freshDynamo(t, schema);
  const azure = await freshCosmos(t, schema);
  const hash = 'ü'.repeat(1024);
  const item = (pk: string, sk: string, v: string): Item => ({ pk: { S: pk }, sk: { S: sk }, v: { S: v } });
  // 2048 and 1024 bytes, DynamoDB's limits; the two range keys differ in their 1024th byte only.
  const longest = (v: string) => item(hash, `${'€'.repeat(341)}a`, v);
  const alike = (v: string) => item(hash, `${'€'.repeat(341)}b`, v);
  const issue = (v: string) => item('ü'.repeat(700), 'x', v);
  t.strictSame([hash, (longest('').sk as { S: string }).S].map((k) => Buffer.byteLength(k)), [2048, 1024]);
  const items = [longest, alike, issue];
  await dynamo.bulkWrite(items.map((f) => ({ type: 'put' as const, item: f('before') })));

  await forward(t, 'forward-long', dynamo, azure);
  const { resources: ids } = await azure.container.items.query<string>('SELECT VALUE c.id FROM c').fetchAll();
  t.equal(new Set(ids).size, 3, 'three documents');
  t.ok(ids.every((id) => Buffer.byteLength(id) <= 1023), 'every id within Cosmos\'s 1023 bytes');
  t.strictSame(new Set(ids), new Set(items.map((f) => documentId(f(''), schema))), 'each where a read by key looks');

  const since = await failover();
  for (const f of items) await editInAzure(azure, f('azure'));
  const back = await syncMetadataReverse({ source: azure.table, destination: dynamo, schema, since, ...tuning('back-long') });
  t.equal(back.verification.status, 'pass', back.verification.reason);
  t.equal(back.import.written, 3);
  for (const f of items) t.strictSame(await dynamo.get(f('')), f('azure'), 'exact, key and all');
});

/** A SyncService on this table and container, its conflicts resolved as told, AWS's write time in `updatedAt`. */
function syncService(t: Test, table: string, container: string, reverseConflicts: Config['sync']['reverseConflicts']) {
  const config = structuredClone(loadConfig(lab.configFile).config);
  Object.assign(config.aws.dynamodb, { table, updatedAttribute: 'updatedAt' });
  config.azure.cosmos.container = container;
  Object.assign(config.sync, { reverseConflicts, metadataExport: 'scan', metadataSampleRatio: 1 });
  config.service.stateDir = join(work, freshName('state-'));
  const adapters = buildAdapters(config);
  const store = openStore(join(config.service.stateDir, 'drsentinel.db'));
  const syncs = new SyncService({ config, adapters, store, metrics: createMetrics(), clock: systemClock, log: () => {} });
  t.teardown(async () => {
    await syncs.close();
    adapters.close();
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
  const table = await createTable(IMAGES_SCHEMA);
  const azure = await freshCosmos(t);
  const dynamo = adaptersFor(t, lab, (c) => void (c.aws.dynamodb.table = table)).tables.dynamodb;
  const row = (i: number, v: string, updatedAt = '2026-01-01T00:00:00.000Z'): Item => ({ imageId: { S: 'svc' }, chunkIndex: { N: String(i) }, v: { S: v }, updatedAt: { S: updatedAt } });
  const onAws = '2026-06-01T12:00:00.000Z';
  await dynamo.bulkWrite([1, 2].map((i) => ({ type: 'put' as const, item: row(i, 'before') })));
  const run = syncService(t, table, azure.container.id, 'fail');
  const forwardRun = await run({});
  t.equal(forwardRun.status, 'succeeded', String(forwardRun.summary.error));
  const since = await failover();
  // 1 edited on Azure alone; 2 edited on both sides.
  for (const i of [1, 2]) await editInAzure(azure, row(i, 'azure'));
  await dynamo.bulkWrite([{ type: 'put', item: row(2, 'aws', onAws) }]);

  const back = await run({ reverse: true, since });
  t.equal(back.status, 'failed');
  t.equal(back.summary.failureClass, 'conflict');
  t.match(back.summary.error, /^1 item changed on AWS after the contingency began, not overwritten \(\{"imageId":\{"S":"svc"\},"chunkIndex":\{"N":"2"\}\}\); sync\.reverseConflicts: keep-aws/);
  const conflicts = conflictsOf(back);
  t.match(conflicts, { count: 1, resolution: 'fail', first: [{ key: keyOf(row(2, '')), awsTime: onAws }] });
  const value = async (i: number) => ((await dynamo.get(keyOf(row(i, ''))))?.v as { S: string } | undefined)?.S;
  t.strictSame([await value(1), await value(2)], ['azure', 'aws'], "Azure's change went back; AWS's stands");

  const kept = await syncService(t, table, azure.container.id, 'keep-aws')({ reverse: true, since });
  t.equal(kept.status, 'succeeded', String(kept.summary.verification?.reason));
  t.notOk(kept.summary.failureClass);
  t.match(conflictsOf(kept), { count: 1, resolution: 'keep-aws' }, 'still reported');
});
