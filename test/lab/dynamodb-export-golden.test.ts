/**
 * The DynamoDB export against lines written after AWS's documented examples
 * (test/fixtures/dynamodb-export): the twin's export writes them for the same items, and the
 * product's reader reads them as AWS means them. The twin and the product share no encoder, so
 * a mistake of either shows here.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand, PutItemCommand, DeleteItemCommand, ExportTableToPointInTimeCommand, DescribeExportCommand,
  UpdateContinuousBackupsCommand, type AttributeValue, type ExportDescription, type ExportTableToPointInTimeCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { parseExportLine } from '../../src/sync/export-reader.js';
import type { KeySchema } from '../../src/core/items.js';
import { startExportTwin } from '../helpers/export-twin.js';

type Line = Record<string, any>;
const golden = (name: string): Line[] =>
  readFileSync(new URL(`../fixtures/dynamodb-export/${name}`, import.meta.url), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const FULL = golden('full.jsonl');
const INCREMENTAL = golden('incremental.jsonl');
const BOOKS: KeySchema = { hashKey: { name: 'Id', type: 'N' } };
const CUSTOMERS: KeySchema = { hashKey: { name: 'PK', type: 'S' } };

t.test("the product's reader reads the documented lines as AWS means them", async (t) => {
  t.same(parseExportLine(JSON.stringify(FULL[0]), BOOKS), { op: 'put', item: FULL[0]!.Item }, 'a full export line is the item');
  t.same(INCREMENTAL.map((line) => parseExportLine(JSON.stringify(line), CUSTOMERS)), [
    { op: 'put', item: INCREMENTAL[0]!.NewImage },
    { op: 'put', item: INCREMENTAL[1]!.NewImage },
    { op: 'delete', key: { PK: { S: 'CUST#300' } } },
  ], 'an incremental line with a new image is a put, one with keys only a delete');
});

t.test('the twin writes the documented lines for the same items', async (t) => {
  const Bucket = 'exports';
  const { ddb, s3 } = await startExportTwin(t);
  await s3.send(new CreateBucketCommand({ Bucket }));

  const table = async (TableName: string, schema: KeySchema) => {
    const { hashKey } = schema;
    const created = await ddb.send(new CreateTableCommand({
      TableName, KeySchema: [{ AttributeName: hashKey.name, KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: hashKey.name, AttributeType: hashKey.type }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
    await ddb.send(new UpdateContinuousBackupsCommand({ TableName, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
    return created.TableDescription!.TableArn!;
  };
  const exportedLines = async (request: ExportTableToPointInTimeCommandInput): Promise<Line[]> => {
    const started = await ddb.send(new ExportTableToPointInTimeCommand(request));
    let done: ExportDescription;
    for (;;) {
      done = (await ddb.send(new DescribeExportCommand({ ExportArn: started.ExportDescription!.ExportArn! }))).ExportDescription!;
      if (done.ExportStatus !== 'IN_PROGRESS') break;
      await sleep(100);
    }
    t.equal(done.ExportStatus, 'COMPLETED', done.FailureMessage ?? 'the export completed');
    const read = async (Key: string) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body!.transformToByteArray());
    const summary = JSON.parse((await read(done.ExportManifest!)).toString());
    const lines: Line[] = [];
    for (const file of (await read(summary.manifestFilesS3Key)).toString().trim().split('\n')) {
      const text = gunzipSync(await read(JSON.parse(file).dataFileS3Key)).toString();
      lines.push(...text.split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    }
    return lines;
  };
  // The SDK's own shapes: no binary in the examples, so they are DynamoDB JSON as they stand.
  const sdk = (item: Line) => item as Record<string, AttributeValue>;

  const books = await table('ProductCatalog', BOOKS);
  await ddb.send(new PutItemCommand({ TableName: 'ProductCatalog', Item: sdk(FULL[0]!.Item) }));
  t.same(await exportedLines({ TableArn: books, S3Bucket: Bucket, ExportFormat: 'DYNAMODB_JSON' }), FULL, 'a full export: the documented line');

  const customers = await table('Customers', CUSTOMERS);
  const nextSecond = async () => {
    const next = Math.ceil((Date.now() + 1) / 1000) * 1000;
    await sleep(next - Date.now() + 5);
    return next;
  };
  const from = await nextSecond();
  for (const line of INCREMENTAL.filter((l) => l.NewImage)) await ddb.send(new PutItemCommand({ TableName: 'Customers', Item: sdk(line.NewImage) }));
  await ddb.send(new PutItemCommand({ TableName: 'Customers', Item: { PK: { S: 'CUST#300' }, FirstName: { S: 'Gone' } } }));
  await ddb.send(new DeleteItemCommand({ TableName: 'Customers', Key: { PK: { S: 'CUST#300' } } }));
  const to = await nextSecond();
  const lines = await exportedLines({
    TableArn: customers, S3Bucket: Bucket, ExportFormat: 'DYNAMODB_JSON', ExportType: 'INCREMENTAL_EXPORT',
    IncrementalExportSpecification: { ExportFromTime: new Date(from), ExportToTime: new Date(to), ExportViewType: 'NEW_IMAGE' },
  });
  const micros = lines.map((l) => Number(l.Metadata?.WriteTimestampMicros?.N));
  t.ok(micros.every((m) => m >= from * 1000 && m < to * 1000), 'each write time in microseconds, as DynamoDB JSON N, inside the window');
  const withoutTimes = (all: Line[]) => all.map(({ Metadata: _, ...rest }) => rest).sort((a, b) => a.Keys.PK.S.localeCompare(b.Keys.PK.S));
  t.same(withoutTimes(lines), withoutTimes(INCREMENTAL), 'an incremental export: the documented lines, a deleted item with keys only');
});
