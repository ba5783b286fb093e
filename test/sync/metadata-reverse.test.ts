/**
 * The metadata's way back against the lab twin: every attribute type through the real Cosmos and
 * DynamoDB and back, and the longest keys DynamoDB accepts. What the way back decides (the
 * reverse delta, conflicts, quarantine, the sync service's verdict) is proven on tables held in
 * memory (metadata-reverse-engine.test.ts).
 */
import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
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
import { syncMetadataReverse } from '../../src/sync/metadata-reverse.js';
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
