import t from 'tap';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { canonicalHash } from '../../src/core/canonical.js';
import { partitionKeyPath, SOURCE_FIELD } from '../../src/core/documents.js';
import type { Item } from '../../src/core/items.js';
import type { ItemVersion } from '../../src/core/ports.js';
import { withLab } from '../helpers/lab.js';
import { documentTableContract, IMAGES_SCHEMA } from './document-table.js';
import { adaptersFor, freshName, labSdk } from './lab-adapters.js';

const lab = await withLab(t, { empty: true });
const sdk = labSdk(t, lab);
const database = sdk.cosmos.database(lab.endpoints.azure.cosmos.database);

async function freshContainer() {
  const id = freshName('contract-');
  await database.containers.createIfNotExists({ id, partitionKey: { paths: [partitionKeyPath(IMAGES_SCHEMA)] } });
  return id;
}

t.test('Cosmos passes the DocumentTable contract', async (t) =>
  documentTableContract(t, async (test) => {
    const container = await freshContainer();
    return adaptersFor(test, lab, (c) => void (c.azure.cosmos.container = container)).cosmosWithSchema(IMAGES_SCHEMA);
  }));

t.test('the configured Cosmos table takes its key schema from the DynamoDB table', async (t) => {
  const container = await freshContainer();
  const table = freshName('schema-');
  await sdk.dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'B' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  const adapters = adaptersFor(t, lab, (c) => {
    c.azure.cosmos.container = container;
    c.aws.dynamodb.table = table;
  });
  t.strictSame(await adapters.tables.cosmos.keySchema(), { hashKey: { name: 'pk', type: 'B' } });
});

t.test('documents are natural JSON in the container', async (t) => {
  const container = await freshContainer();
  const table = adaptersFor(t, lab, (c) => void (c.azure.cosmos.container = container)).cosmosWithSchema(IMAGES_SCHEMA);
  await table.bulkWrite([{ type: 'put', item: { imageId: { S: 'img-1' }, chunkIndex: { N: '2' }, content: { B: 'AAE=' } } }]);
  const { resources } = await database.container(container).items.query('SELECT c.imageId, c.chunkIndex, c.content, c._t FROM c').fetchAll();
  t.strictSame(resources, [{ imageId: 'img-1', chunkIndex: 2, content: 'AAE=', _t: { content: 'B' } }]);
});

t.test('each document written carries the fingerprint of its item; a scan gives it back with the write time, never as an attribute', async (t) => {
  const container = await freshContainer();
  const table = adaptersFor(t, lab, (c) => void (c.azure.cosmos.container = container)).cosmosWithSchema(IMAGES_SCHEMA);
  const item: Item = { imageId: { S: 'img-1' }, chunkIndex: { N: '2' }, v: { S: 'copied' } };
  const before = Math.floor(Date.now() / 1000) * 1000;
  await table.bulkWrite([{ type: 'put', item }]);
  const { resources } = await database.container(container).items.query(`SELECT VALUE c.${SOURCE_FIELD} FROM c`).fetchAll();
  t.strictSame(resources, [canonicalHash(item)]);
  const versions = new WeakMap<Item, ItemVersion>();
  const scanned: Item[] = [];
  for await (const i of table.scan({ versions })) scanned.push(i);
  t.strictSame(scanned, [item]);
  const version = versions.get(scanned[0]!);
  t.equal(version?.sourceHash, canonicalHash(item));
  t.ok(version?.modified && version.modified.getTime() >= before && version.modified.getTime() <= Date.now(), 'written now');
});

t.test('a conditional write is refused, reported per op and not as a conflict: Cosmos takes none', async (t) => {
  const container = await freshContainer();
  const table = adaptersFor(t, lab, (c) => void (c.azure.cosmos.container = container)).cosmosWithSchema(IMAGES_SCHEMA);
  const item: Item = { imageId: { S: 'img-1' }, chunkIndex: { N: '2' } };
  const result = await table.bulkWrite([{ type: 'put', item, expect: { absent: true } }, { type: 'put', item: { ...item, chunkIndex: { N: '3' } } }]);
  t.equal(result.written, 1);
  t.strictSame(result.failed.map((f) => [f.reason, f.conflict]), [[`${table.name} takes no conditional writes`, undefined]]);
});
