import t, { type Test } from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { canonicalHash } from '../../src/core/canonical.js';
import { systemClock } from '../../src/core/clock.js';
import { partitionKeyPath } from '../../src/core/documents.js';
import type { AttributeValue, Item } from '../../src/core/items.js';
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

/** A fresh, empty DynamoDB table with the images schema, and the adapter over it. */
async function freshDynamo(t: Test): Promise<DocumentTable> {
  const name = freshName('reverse-');
  await sdk.dynamodb.send(new CreateTableCommand({
    TableName: name,
    KeySchema: [{ AttributeName: 'imageId', KeyType: 'HASH' }, { AttributeName: 'chunkIndex', KeyType: 'RANGE' }],
    AttributeDefinitions: [{ AttributeName: 'imageId', AttributeType: 'S' }, { AttributeName: 'chunkIndex', AttributeType: 'N' }],
    BillingMode: 'PAY_PER_REQUEST',
  }));
  // dynalite turns a new table ACTIVE on a timer.
  while ((await sdk.dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus !== 'ACTIVE') await sleep(20);
  return adaptersFor(t, lab, (c) => void (c.aws.dynamodb.table = name)).tables.dynamodb;
}

async function freshCosmos(t: Test): Promise<DocumentTable> {
  const id = freshName('reverse-');
  await database.containers.createIfNotExists({ id, partitionKey: { paths: [partitionKeyPath(IMAGES_SCHEMA)] } });
  return adaptersFor(t, lab, (c) => void (c.azure.cosmos.container = id)).cosmosWithSchema(IMAGES_SCHEMA);
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

/** The failover: from now on Cosmos is in charge. `_ts` has whole seconds, so let one pass first. */
async function failover(): Promise<Date> {
  await sleep(1100);
  const since = systemClock.now();
  await sleep(50);
  return since;
}

t.test('DynamoDB → Cosmos → DynamoDB: what changed in Cosmos comes back exactly, for every attribute type', async (t) => {
  const dynamo = await freshDynamo(t);
  const cosmos = await freshCosmos(t);
  const untouched: Item = { imageId: { S: 'untouched' }, chunkIndex: { N: '0' }, content: { S: 'written before the failover, never changed' } };
  const before = await dynamo.bulkWrite([{ type: 'put', item: EVERY_TYPE }, { type: 'put', item: untouched }]);
  t.equal(before.written, 2);

  const forward = await syncMetadata({ runId: 'forward', source: dynamo, destination: cosmos, mode: 'scan', clock: systemClock, ...tuning('forward') });
  t.equal(forward.verification.status, 'pass', forward.verification.reason);
  t.equal(await cosmos.count(), 2);
  t.equal(canonicalHash((await cosmos.get(keyOf(EVERY_TYPE)))!), canonicalHash(EVERY_TYPE), 'every type arrived in Cosmos intact');

  const since = await failover();
  const changed: Item = {
    ...EVERY_TYPE,
    big: { N: '-99999999999999999999999999999999999999' },
    tags: { SS: ['changed', 'during', 'the', 'contingency'] },
    extra: { L: [{ BS: ['AA==', '/w=='] }, { M: { deep: { NS: ['0.000000000000000000000000000000000001'] } } }] },
  };
  const added: Item = { ...EVERY_TYPE, imageId: { S: 'new-during-contingency' }, chunkIndex: { N: '12345678901234567890123456789012345678' }, emptyString: { S: '' } };
  const during = await cosmos.bulkWrite([{ type: 'put', item: changed }, { type: 'put', item: added }]);
  t.equal(during.written, 2, 'written through the Cosmos adapter');

  const destination = await freshDynamo(t);
  const back = await syncMetadataReverse({ source: cosmos, destination, schema: IMAGES_SCHEMA, since, ...tuning('back') });
  t.equal(back.verification.status, 'pass', back.verification.reason);
  t.equal(back.import.records, 2, 'only the items changed since the failover are read');
  t.equal(back.import.written, 2);
  t.equal(back.import.quarantined, 0);
  t.equal(await destination.count(), 2, 'the reverse delta, nothing more');
  t.equal(await destination.get(keyOf(untouched)), undefined, 'an item unchanged since the failover is not carried back');
  for (const [what, expected] of [['changed', changed], ['added', added]] as const) {
    const got = await destination.get(keyOf(expected));
    t.ok(got, `${what}: in DynamoDB`);
    t.equal(canonicalHash(got!), canonicalHash(expected), `${what}: canonical hashes equal`);
    t.strictSame(comparable(got!), comparable(expected), `${what}: equal attribute by attribute, type by type`);
  }
});

t.test('the reverse delta carried into the same table leaves the items unchanged since untouched', async (t) => {
  const dynamo = await freshDynamo(t);
  const cosmos = await freshCosmos(t);
  const rows = Array.from({ length: 30 }, (_, i): Item => ({ imageId: { S: `row-${i % 4}` }, chunkIndex: { N: String(i) }, n: { N: String(i) } }));
  await dynamo.bulkWrite(rows.map((item) => ({ type: 'put' as const, item })));
  const forward = await syncMetadata({ runId: 'forward-same', source: dynamo, destination: cosmos, mode: 'scan', clock: systemClock, ...tuning('forward-same') });
  t.equal(forward.verification.status, 'pass', forward.verification.reason);

  const since = await failover();
  const edited = rows.slice(0, 3).map((item): Item => ({ ...item, n: { N: '-1' }, note: { S: 'edited in Azure' } }));
  await cosmos.bulkWrite(edited.map((item) => ({ type: 'put' as const, item })));
  // DynamoDB changes made after the failover (a late writer) must not be overwritten by items Cosmos did not change.
  const late: Item = { ...rows[10]!, n: { N: '1000' } };
  await dynamo.bulkWrite([{ type: 'put', item: late }]);

  const back = await syncMetadataReverse({ source: cosmos, destination: dynamo, schema: IMAGES_SCHEMA, since, ...tuning('back-same') });
  t.equal(back.verification.status, 'pass', back.verification.reason);
  t.equal(back.import.written, 3, 'only the three edited items are written');
  t.equal(await dynamo.count(), 30);
  for (const item of edited) t.strictSame(await dynamo.get(keyOf(item)), item);
  t.strictSame(await dynamo.get(keyOf(late)), late, 'an item Cosmos did not change keeps its DynamoDB value');
});

t.test('an item too large for DynamoDB is quarantined by key on the way back; the rest goes on', async (t) => {
  const cosmos = await freshCosmos(t);
  const destination = await freshDynamo(t);
  const since = await failover();
  const big: Item = { imageId: { S: 'big' }, chunkIndex: { N: '1' }, content: { S: 'x'.repeat(500 * 1024) } };
  const fine: Item = { imageId: { S: 'fine' }, chunkIndex: { N: '1' }, content: { S: 'small' } };
  await cosmos.bulkWrite([{ type: 'put', item: big }, { type: 'put', item: fine }]);

  const back = await syncMetadataReverse({ source: cosmos, destination, schema: IMAGES_SCHEMA, since, ...tuning('too-big') });
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
