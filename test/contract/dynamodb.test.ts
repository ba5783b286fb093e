import t, { type Test } from 'tap';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import type { Item } from '../../src/core/items.js';
import type { BulkWriteResult, DocumentTable } from '../../src/core/ports.js';
import { withLab } from '../helpers/lab.js';
import { documentTableContract, EVERY_TYPE } from './document-table.js';
import { adaptersFor, freshName, labSdk } from './lab-adapters.js';

const lab = await withLab(t, { empty: true });
const sdk = labSdk(t, lab);

async function freshTable(test: Test): Promise<DocumentTable> {
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
}

t.test('DynamoDB passes the DocumentTable contract', async (t) => documentTableContract(t, freshTable));

t.test('conditional puts: written while the condition holds, a conflict named as such when it does not', async (t) => {
  const table = await freshTable(t);
  const key = { imageId: EVERY_TYPE.imageId!, chunkIndex: EVERY_TYPE.chunkIndex! };
  const mine: Item = { ...EVERY_TYPE, note: { S: 'carried back' } };
  const conflicts = (r: BulkWriteResult) => r.failed.map((f) => ({ conflict: f.conflict, reason: f.reason }));

  const created = await table.bulkWrite([{ type: 'put', item: EVERY_TYPE, expect: { absent: true } }]);
  t.strictSame([created.written, created.failed], [1, []], 'absent: written');
  const again = await table.bulkWrite([{ type: 'put', item: mine, expect: { absent: true } }]);
  t.strictSame(conflicts(again), [{ conflict: true, reason: 'an item with this key appeared on DynamoDB after it was read' }]);
  t.strictSame(await table.get(key), EVERY_TYPE, 'not overwritten');

  // Every attribute type in the condition, maps and lists and sets among them, sets in another order.
  const read = { ...EVERY_TYPE, tags: { SS: ['', 'blue', 'red'] } };
  const guarded = await table.bulkWrite([{ type: 'put', item: mine, expect: { equals: read } }]);
  t.strictSame([guarded.written, guarded.failed], [1, []], 'equals the version read: written');
  t.strictSame(await table.get(key), mine);

  for (const [what, change] of [
    ['a nested value changed', { ...mine, nested: { M: { inner: { M: {} } } } }],
    ['an attribute removed', Object.fromEntries(Object.entries(mine).filter(([name]) => name !== 'note'))],
  ] as const) {
    await table.bulkWrite([{ type: 'put', item: change }]);
    const refused = await table.bulkWrite([{ type: 'put', item: { ...mine, note: { S: 'late' } }, expect: { equals: mine } }]);
    t.strictSame(conflicts(refused), [{ conflict: true, reason: 'the item changed on DynamoDB after it was read' }], what);
    t.strictSame(await table.get(key), change, `${what}: not overwritten`);
  }
  await table.bulkWrite([{ type: 'delete', item: key }]);
  const gone = await table.bulkWrite([{ type: 'put', item: mine, expect: { equals: mine } }]);
  t.equal(gone.failed[0]?.conflict, true, 'deleted meanwhile: a conflict');
  t.equal(await table.get(key), undefined);
});

t.test('a refused condition over exactly what was put is that put\'s own earlier attempt: written', async (t) => {
  const table = await freshTable(t);
  await table.bulkWrite([{ type: 'put', item: EVERY_TYPE }]);
  const result = await table.bulkWrite([{ type: 'put', item: EVERY_TYPE, expect: { absent: true } }]);
  t.strictSame([result.written, result.failed], [1, []]);
});

t.test('conditional and plain ops in one call keep their order and their counts; a condition on a delete is refused', async (t) => {
  const table = await freshTable(t);
  const row = (i: number, v: string): Item => ({ imageId: { S: 'r' }, chunkIndex: { N: String(i) }, v: { S: v } });
  const result = await table.bulkWrite([
    ...Array.from({ length: 30 }, (_, i) => ({ type: 'put' as const, item: row(i, 'plain') })),
    { type: 'put', item: row(1, 'guarded'), expect: { equals: row(1, 'plain') } },
    { type: 'put', item: row(1, 'last') },
    { type: 'put', item: row(99, 'new'), expect: { absent: true } },
    { type: 'delete', item: row(2, ''), expect: { absent: true } },
  ]);
  t.equal(result.written, 33);
  t.strictSame(result.failed.map((f) => [f.reason, f.conflict]), [['only a put takes a condition', undefined]]);
  t.strictSame((await table.get(row(1, '')))?.v, { S: 'last' }, 'in order');
  t.strictSame((await table.get(row(99, '')))?.v, { S: 'new' });
  t.equal(await table.count(), 31);
});
