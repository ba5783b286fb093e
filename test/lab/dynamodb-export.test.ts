import t from 'tap';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand, PutItemCommand, BatchWriteItemCommand, UpdateItemCommand, DeleteItemCommand,
  ExportTableToPointInTimeCommand, DescribeExportCommand, ListExportsCommand, UpdateContinuousBackupsCommand,
  DescribeContinuousBackupsCommand, type AttributeValue, type ExportDescription,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { REGION, startExportTwin } from '../helpers/export-twin.js';

type Wire = Record<string, unknown>;
const region = REGION;
const TableName = 'images';
const Bucket = 'exports';

const { ddb, s3 } = await startExportTwin(t);

await s3.send(new CreateBucketCommand({ Bucket }));
const { TableDescription } = await ddb.send(new CreateTableCommand({
  TableName,
  KeySchema: [{ AttributeName: 'imageId', KeyType: 'HASH' }, { AttributeName: 'chunkIndex', KeyType: 'RANGE' }],
  AttributeDefinitions: [{ AttributeName: 'imageId', AttributeType: 'S' }, { AttributeName: 'chunkIndex', AttributeType: 'N' }],
  BillingMode: 'PAY_PER_REQUEST',
}));
const TableArn = TableDescription!.TableArn!;

/** Items in DynamoDB JSON as exports write them (binary as base64), one of every attribute type. */
function wireItem(i: number): Wire {
  return {
    imageId: { S: `img-${i % 7}` },
    chunkIndex: { N: String(i) },
    big: { N: '12345678901234567890123456789012345678' },
    content: { B: Buffer.from(`bytes ${i}`).toString('base64') },
    tags: { SS: ['a', `t${i}`] },
    sizes: { NS: ['1', '2.5', String(i + 10)] },
    blobs: { BS: [Buffer.from([0, 255, i]).toString('base64')] },
    meta: { M: { nested: { L: [{ S: 'x' }, { N: '-0.5' }, { NULL: true }, { BOOL: false }] }, flag: { BOOL: true } } },
    nothing: { NULL: true },
  };
}
/** The same item for the SDK (binary as bytes). */
function sdkItem(wire: Wire): Record<string, AttributeValue> {
  const convert = (v: any): any => {
    if ('B' in v) return { B: Buffer.from(v.B, 'base64') };
    if ('BS' in v) return { BS: v.BS.map((b: string) => Buffer.from(b, 'base64')) };
    if ('M' in v) return { M: Object.fromEntries(Object.entries(v.M).map(([k, x]) => [k, convert(x)])) };
    if ('L' in v) return { L: v.L.map(convert) };
    return v;
  };
  return Object.fromEntries(Object.entries(wire).map(([k, v]) => [k, convert(v)]));
}

async function read(Key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket, Key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}
async function waitForExport(ExportArn: string): Promise<ExportDescription> {
  for (;;) {
    const { ExportDescription: d } = await ddb.send(new DescribeExportCommand({ ExportArn }));
    if (d!.ExportStatus !== 'IN_PROGRESS') return d!;
    await sleep(100);
  }
}
async function untilNextSecond(): Promise<number> {
  const next = Math.ceil((Date.now() + 1) / 1000) * 1000;
  await sleep(next - Date.now() + 5);
  return next;
}
const sortKey = (w: Wire) => `${(w.imageId as { S: string }).S}/${(w.chunkIndex as { N: string }).N.padStart(4, '0')}`;

const written = Array.from({ length: 40 }, (_, i) => wireItem(i));
await ddb.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: written.slice(0, 25).map((w) => ({ PutRequest: { Item: sdkItem(w) } })) } }));
for (const w of written.slice(25)) await ddb.send(new PutItemCommand({ TableName, Item: sdkItem(w) }));

t.test('an export without point-in-time recovery is refused as AWS does', async (t) => {
  const backups = await ddb.send(new DescribeContinuousBackupsCommand({ TableName }));
  t.equal(backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus, 'DISABLED');
  await t.rejects(ddb.send(new ExportTableToPointInTimeCommand({ TableArn, S3Bucket: Bucket, ExportFormat: 'DYNAMODB_JSON' })), {
    name: 'PointInTimeRecoveryUnavailableException', $metadata: { httpStatusCode: 400 },
  });
  await t.rejects(ddb.send(new DescribeExportCommand({ ExportArn: `${TableArn}/export/nope` })), { name: 'ExportNotFoundException' });
});

let fullExportTime = 0;
t.test('a full export writes the documented layout', async (t) => {
  const enabled = await ddb.send(new UpdateContinuousBackupsCommand({ TableName, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
  t.equal(enabled.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus, 'ENABLED');

  const started = await ddb.send(new ExportTableToPointInTimeCommand({
    TableArn, S3Bucket: Bucket, S3Prefix: 'ddb/full', ExportFormat: 'DYNAMODB_JSON', ExportType: 'FULL_EXPORT', ClientToken: 'full-1',
  }));
  const d0 = started.ExportDescription!;
  t.equal(d0.ExportStatus, 'IN_PROGRESS');
  t.match(d0.ExportArn, new RegExp(`^arn:aws:dynamodb:${region}:\\d+:table/${TableName}/export/[0-9]{14}-[0-9a-f]{8}$`));
  const done = await waitForExport(d0.ExportArn!);
  t.equal(done.ExportStatus, 'COMPLETED', done.FailureMessage ?? 'completed');
  t.equal(done.ItemCount, written.length);
  t.ok(done.ExportTime instanceof Date && done.StartTime instanceof Date && done.EndTime instanceof Date);
  fullExportTime = done.ExportTime!.getTime();
  const exportId = d0.ExportArn!.split('/').pop()!;
  const root = `ddb/full/AWSDynamoDB/${exportId}`;
  t.equal(done.ExportManifest, `${root}/manifest-summary.json`);

  const listed = (await s3.send(new ListObjectsV2Command({ Bucket, Prefix: `${root}/` }))).Contents!.map((c) => c.Key!);
  for (const name of ['_started', 'manifest-files.json', 'manifest-files.md5', 'manifest-summary.json', 'manifest-summary.md5']) {
    t.ok(listed.includes(`${root}/${name}`), `${name} is there`);
  }
  const summaryBytes = await read(done.ExportManifest!);
  t.equal((await read(`${root}/manifest-summary.md5`)).toString().trim(), createHash('md5').update(summaryBytes).digest('hex'));
  const summary = JSON.parse(summaryBytes.toString());
  t.match(summary, {
    version: '2020-06-30', exportArn: d0.ExportArn, tableArn: TableArn, tableId: String, s3Bucket: Bucket, s3Prefix: 'ddb/full',
    s3SseAlgorithm: 'AES256', manifestFilesS3Key: `${root}/manifest-files.json`, itemCount: written.length,
    outputFormat: 'DYNAMODB_JSON', billedSizeBytes: Number,
  });
  t.ok('s3SseKmsKeyId' in summary);
  for (const field of ['startTime', 'endTime', 'exportTime']) t.match(summary[field], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  const lines = (await read(summary.manifestFilesS3Key)).toString().trim().split('\n').map((l) => JSON.parse(l));
  t.ok(lines.length > 1, 'several data files');
  t.equal(lines.reduce((sum, l) => sum + l.itemCount, 0), written.length, 'manifest item counts add up');
  const exported: Wire[] = [];
  for (const line of lines) {
    t.match(line.dataFileS3Key, new RegExp(`^${root}/data/[a-z0-9]{26}\\.json\\.gz$`));
    const gz = await read(line.dataFileS3Key);
    t.equal(line.md5Checksum, createHash('md5').update(gz).digest('base64'), 'md5Checksum is the base64 MD5 of the object');
    t.match(line.etag, /^[0-9a-f]{32}$/);
    const items = gunzipSync(gz).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    t.equal(items.length, line.itemCount);
    for (const item of items) {
      t.same(Object.keys(item), ['Item']);
      exported.push(item.Item);
    }
  }
  t.same(exported.sort((a, b) => sortKey(a).localeCompare(sortKey(b))), [...written].sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
    'items equal what was written, every type, 38-digit numbers as strings');

  const again = await ddb.send(new ExportTableToPointInTimeCommand({ TableArn, S3Bucket: Bucket, S3Prefix: 'ddb/full', ClientToken: 'full-1' }));
  t.equal(again.ExportDescription!.ExportArn, d0.ExportArn, 'same ClientToken, same export');
});

t.test('an incremental export lists the changed keys, deletes without NewImage', async (t) => {
  const from = await untilNextSecond();
  t.ok(from > fullExportTime);
  const updated = written[3]!;
  const deleted = written[4]!;
  const keyOf = (w: Wire) => sdkItem({ imageId: w.imageId, chunkIndex: w.chunkIndex });
  await ddb.send(new UpdateItemCommand({
    TableName, Key: keyOf(updated), UpdateExpression: 'SET #t = :v', ExpressionAttributeNames: { '#t': 'tags' },
    ExpressionAttributeValues: { ':v': { SS: ['changed'] } },
  }));
  await ddb.send(new DeleteItemCommand({ TableName, Key: keyOf(deleted) }));
  const to = await untilNextSecond();

  await t.rejects(ddb.send(new ExportTableToPointInTimeCommand({
    TableArn, S3Bucket: Bucket, ExportType: 'INCREMENTAL_EXPORT',
    IncrementalExportSpecification: { ExportFromTime: new Date(from), ExportToTime: new Date(from + 500) },
  })), { name: 'ValidationException' }, 'window shorter than the minimum');
  await t.rejects(ddb.send(new ExportTableToPointInTimeCommand({
    TableArn, S3Bucket: Bucket, ExportType: 'INCREMENTAL_EXPORT',
    IncrementalExportSpecification: { ExportFromTime: new Date(from - 25 * 3600_000), ExportToTime: new Date(from) },
  })), { name: 'ValidationException' }, 'window longer than 24 hours');

  const started = await ddb.send(new ExportTableToPointInTimeCommand({
    TableArn, S3Bucket: Bucket, S3Prefix: 'ddb/incr', ExportFormat: 'DYNAMODB_JSON', ExportType: 'INCREMENTAL_EXPORT',
    IncrementalExportSpecification: { ExportFromTime: new Date(from), ExportToTime: new Date(to), ExportViewType: 'NEW_IMAGE' },
  }));
  const done = await waitForExport(started.ExportDescription!.ExportArn!);
  t.equal(done.ExportStatus, 'COMPLETED', done.FailureMessage ?? 'completed');
  t.equal(done.ExportType, 'INCREMENTAL_EXPORT');
  t.equal(done.ItemCount, 2);

  const summary = JSON.parse((await read(done.ExportManifest!)).toString());
  t.match(summary, {
    exportType: 'INCREMENTAL_EXPORT', outputView: 'NEW_IMAGE', itemCount: 2,
    exportFromTime: new Date(from).toISOString(), exportToTime: new Date(to).toISOString(),
  });
  const files = (await read(summary.manifestFilesS3Key)).toString().trim().split('\n').map((l) => JSON.parse(l));
  const lines: any[] = [];
  for (const f of files) lines.push(...gunzipSync(await read(f.dataFileS3Key)).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  t.equal(lines.length, 2);
  const byKey = new Map(lines.map((l) => [sortKey(l.Keys), l]));
  const up = byKey.get(sortKey(updated));
  const del = byKey.get(sortKey(deleted));
  t.same(up?.Keys, { imageId: updated.imageId, chunkIndex: updated.chunkIndex });
  t.same(up?.NewImage, { ...updated, tags: { SS: ['changed'] } }, 'the update carries the new image');
  t.match(up?.Metadata, { WriteTimestampMicros: { N: /^\d{16}$/ } });
  const micros = Number(up.Metadata.WriteTimestampMicros.N);
  t.ok(micros >= from * 1000 && micros < to * 1000, 'write time inside the window');
  t.ok(del, 'the delete is listed');
  t.notOk('NewImage' in del, 'a deleted item has no NewImage');

  const listed = await ddb.send(new ListExportsCommand({ TableArn }));
  t.equal(listed.ExportSummaries?.length, 2);
  t.same(listed.ExportSummaries?.map((s) => s.ExportType).sort(), ['FULL_EXPORT', 'INCREMENTAL_EXPORT']);
});
