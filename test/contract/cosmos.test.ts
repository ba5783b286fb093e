import t from 'tap';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { partitionKeyPath } from '../../src/core/documents.js';
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
