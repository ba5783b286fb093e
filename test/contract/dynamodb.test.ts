import t from 'tap';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { withLab } from '../helpers/lab.js';
import { documentTableContract } from './document-table.js';
import { adaptersFor, freshName, labSdk } from './lab-adapters.js';

const lab = await withLab(t, { empty: true });
const sdk = labSdk(t, lab);

t.test('DynamoDB passes the DocumentTable contract', async (t) =>
  documentTableContract(t, async (test) => {
    const table = freshName('contract-');
    await sdk.dynamodb.send(
      new CreateTableCommand({
        TableName: table,
        KeySchema: [{ AttributeName: 'imageId', KeyType: 'HASH' }, { AttributeName: 'chunkIndex', KeyType: 'RANGE' }],
        AttributeDefinitions: [{ AttributeName: 'imageId', AttributeType: 'S' }, { AttributeName: 'chunkIndex', AttributeType: 'N' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    return adaptersFor(test, lab, (c) => void (c.aws.dynamodb.table = table)).tables.dynamodb;
  }));
