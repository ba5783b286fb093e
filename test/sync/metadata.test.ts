import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Container } from '@azure/cosmos';
import { canonicalHash } from '../../src/core/canonical.js';
import { systemClock } from '../../src/core/clock.js';
import { loadConfig } from '../../src/config/load.js';
import { documentId, partitionKeyPath, type CosmosDocument } from '../../src/core/documents.js';
import type { ExportDescription, TableExporter } from '../../src/core/exports.js';
import type { Item } from '../../src/core/items.js';
import type { DocumentTable } from '../../src/core/ports.js';
import { IntegrityError } from '../../src/core/retry.js';
import type { ChainPoint } from '../../src/core/sync-summary.js';
import { ChainError, syncMetadata, type MetadataSyncOptions } from '../../src/sync/metadata.js';
import { IMAGES_SCHEMA } from '../contract/document-table.js';
import { adaptersFor, freshName, labSdk } from '../contract/lab-adapters.js';
import { withLab } from '../helpers/lab.js';

const lab = await withLab(t);
const sdk = labSdk(t, lab);
const adapters = adaptersFor(t, lab, () => {});
const { config } = loadConfig(lab.configFile);
const work = await mkdtemp(join(tmpdir(), 'drsentinel-metadata-test-'));
t.teardown(() => rm(work, { recursive: true, force: true }));

const table = config.aws.dynamodb.table;
const database = sdk.cosmos.database(config.azure.cosmos.database);
const mainContainer = database.container(config.azure.cosmos.container);
const SEEDED = 500;

let runs = 0;
function options(over: Partial<MetadataSyncOptions> & { exporter?: TableExporter } = {}): MetadataSyncOptions {
  const { exporter, ...rest } = over;
  const runId = `test-run-${++runs}`;
  return {
    runId,
    source: adapters.tables.dynamodb,
    destination: adapters.tables.cosmos,
    mode: 'point-in-time',
    export: {
      exporter: exporter ?? adapters.exporter,
      bucket: adapters.objects.awsExports,
      bucketName: config.aws.s3.buckets.exports,
      prefix: config.sync.exportPrefix,
      staging: adapters.objects.azureStaging,
      pollIntervalMs: config.sync.exportPollMs,
      timeoutMs: 120_000,
      minWindowMs: config.sync.incrementalMinWindowSeconds * 1000,
      maxWindowMs: 24 * 3_600_000,
      transfers: 4,
      checkers: 4,
    },
    sampleRatio: 0.1,
    batchSize: 100,
    concurrency: 4,
    quarantineFile: join(work, `${runId}.jsonl`),
    clock: systemClock,
    ...rest,
  };
}

/** A Cosmos container of its own, for runs that must not disturb the main one. */
async function freshCosmos(t: Test): Promise<{ container: Container; table: DocumentTable }> {
  const id = freshName('meta-');
  await database.containers.createIfNotExists({ id, partitionKey: { paths: [partitionKeyPath(IMAGES_SCHEMA)] } });
  const table = adaptersFor(t, lab, (c) => void (c.azure.cosmos.container = id)).cosmosWithSchema(IMAGES_SCHEMA);
  return { container: database.container(id), table };
}

const key = (imageId: string, chunk: number): Item => ({ imageId: { S: imageId }, chunkIndex: { N: String(chunk) } });

async function rawDocument(container: Container, k: Item): Promise<CosmosDocument | undefined> {
  const id = documentId(k, IMAGES_SCHEMA);
  const { resource } = await container.item(id, (k.imageId as { S: string }).S).read<CosmosDocument>();
  return resource;
}

/** An incremental window needs `incrementalMinWindowSeconds` between its ends. */
const pastMinWindow = () => sleep(config.sync.incrementalMinWindowSeconds * 1000 + 500);

let chain: ChainPoint | undefined;

t.test('the lab is set up for incremental exports', async (t) => {
  t.equal(config.sync.incrementalMinWindowSeconds, 1);
  t.equal(config.sync.exportPollMs, 200);
});

t.test('(a) a first run is a full export: every item arrives as natural JSON, stale documents go, the chain starts', async (t) => {
  // Documents the source does not have: a full import must remove them (more than a page's worth).
  const strays = Array.from({ length: 150 }, (_, i) => ({ type: 'put' as const, item: { ...key('stray', i), note: { S: 'not in DynamoDB' } } }));
  const stray = await adapters.tables.cosmos.bulkWrite(strays);
  t.equal(stray.written, 150, 'stray documents written');

  const summary = await syncMetadata(options());
  t.equal(summary.kind, 'full');
  t.equal(summary.expectedItems, SEEDED, 'the manifest counts the seeded items');
  t.equal(summary.import.puts, SEEDED);
  t.equal(summary.import.quarantined, 0);
  t.equal(summary.staleRemoved, 150, 'stray documents removed');
  t.equal(summary.destinationCount, SEEDED);
  t.equal(await adapters.tables.cosmos.count(), SEEDED, 'Cosmos counts 500');
  t.equal(summary.verification.status, 'pass', summary.verification.reason);
  t.ok(summary.verification.measurements!.sampled! > 0, 'a sample was compared');
  t.ok(summary.chain, 'the chain starts');
  t.equal(summary.chain!.count, SEEDED);
  t.equal(summary.chain!.through, summary.exportTime);
  chain = summary.chain;

  const first = key('img-0001', 0);
  const doc = await rawDocument(mainContainer, first);
  const source = await adapters.tables.dynamodb.get(first);
  t.ok(doc && source, 'the document and its source item are found');
  t.equal(doc!.imageId, 'img-0001', 'imageId is a plain string');
  t.equal(doc!.chunkIndex, 0, 'chunkIndex is a plain number');
  t.equal(doc!.content, (source!.content as { S: string }).S, 'content reads as is');
  t.equal(typeof doc!.content, 'string');
  t.strictSame(doc!.owner, 'bob');
  t.match(doc!._t, { chunkSha256: 'B', tags: 'SS', sequenceNumber: 'N' }, 'what JSON cannot hold is annotated');
  t.equal(canonicalHash((await adapters.tables.cosmos.get(first))!), canonicalHash(source!), 'hashes equal');
});

t.test('(f) scan mode imports every item of a table and verifies', async (t) => {
  const { table: destination } = await freshCosmos(t);
  const summary = await syncMetadata(options({ mode: 'scan', destination, export: undefined, sampleRatio: 0.2 }));
  t.equal(summary.kind, 'scan');
  t.equal(summary.import.puts, SEEDED);
  t.equal(summary.destinationCount, SEEDED);
  t.equal(await destination.count(), SEEDED);
  t.equal(summary.verification.status, 'pass', summary.verification.reason);
  t.ok(summary.chain);
});

t.test('(b) a second run is incremental and applies updates, inserts and deletes', async (t) => {
  t.ok(chain, 'needs the chain of (a)');
  const ddb = sdk.dynamodb;
  const updated = [key('img-0002', 1), key('img-0003', 0), key('img-0010', 3)];
  for (const [i, k] of updated.entries()) {
    await ddb.send(new UpdateItemCommand({
      TableName: table, Key: k as never,
      UpdateExpression: 'SET #o = :o, #r = :r',
      ExpressionAttributeNames: { '#o': 'owner', '#r': 'revision' },
      ExpressionAttributeValues: { ':o': { S: `new-owner-${i}` }, ':r': { N: '98765432109876543210987654321098765432' } },
    }));
  }
  const inserted = [key('img-9001', 0), key('img-9002', 5)];
  for (const k of inserted) {
    await ddb.send(new PutItemCommand({ TableName: table, Item: { ...k, content: { S: 'new' }, tags: { SS: ['x', 'y'] }, bin: { B: Buffer.from([1, 2, 3]) } } as never }));
  }
  const deleted = key('img-0004', 2);
  t.ok(await adapters.tables.cosmos.get(deleted), 'the item to delete is in Cosmos before');
  await ddb.send(new DeleteItemCommand({ TableName: table, Key: deleted as never }));
  await pastMinWindow();

  const summary = await syncMetadata(options({ previous: chain, sampleRatio: 1 }));
  t.equal(summary.kind, 'incremental');
  t.strictSame(summary.window?.from, chain!.through, 'the window starts where the chain stood');
  t.equal(summary.import.puts, 5, '3 updates and 2 inserts');
  t.equal(summary.import.deletes, 1);
  t.equal(summary.import.created, 2);
  t.equal(summary.import.deleted, 1);
  t.equal(summary.staleRemoved, 0, 'an incremental import never sweeps');
  t.equal(summary.expectedItems, SEEDED + 1);
  t.equal(summary.destinationCount, SEEDED + 1);
  t.equal(summary.verification.status, 'pass', summary.verification.reason);
  t.equal(summary.verification.measurements!.sampled, 5, 'every changed item sampled');
  t.equal(await adapters.tables.cosmos.get(deleted), undefined, 'the deleted item is gone from Cosmos');
  for (const k of [...updated, ...inserted]) {
    const [source, copy] = await Promise.all([adapters.tables.dynamodb.get(k), adapters.tables.cosmos.get(k)]);
    t.ok(source && copy, `${JSON.stringify(k)} on both sides`);
    t.equal(canonicalHash(copy!), canonicalHash(source!), `${JSON.stringify(k)} equal by canonical hash`);
  }
  t.strictSame((await adapters.tables.cosmos.get(updated[0]!))?.owner, { S: 'new-owner-0' });
  t.equal(summary.chain?.count, SEEDED + 1);
  t.equal(summary.chain?.through, summary.window?.to, 'the chain moves to the end of the window');
  chain = summary.chain;
});

/** The real exporter, asked for a window shifted from the one the engine requested. */
function shiftedExporter(shiftMs: number): TableExporter {
  return {
    startExport: (request) => adapters.exporter.startExport({ ...request, from: new Date(request.from!.getTime() + shiftMs), clientToken: `${request.clientToken}-shifted` }),
    describeExport: (arn, signal) => adapters.exporter.describeExport(arn, signal),
  };
}

t.test('(c) an export window that does not start where the chain stands is refused, nothing imported', async (t) => {
  t.ok(chain, 'needs the chain of (b)');
  const late = key('img-9100', 0);
  await sdk.dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...late, content: { S: 'changed after the chain point' } } as never }));
  await sleep(config.sync.incrementalMinWindowSeconds * 1000 + 1000);

  const gap = syncMetadata(options({ previous: chain, exporter: shiftedExporter(500) }));
  await t.rejects(gap, ChainError, 'a gap is refused');
  await t.rejects(gap, { message: /0\.5 s after the last verified import .*would be lost/ });
  await t.rejects(syncMetadata(options({ previous: chain, exporter: shiftedExporter(-500) })), { name: 'ChainError', failureClass: 'integrity', message: /overlapping the last verified import/ }, 'an overlap is refused');
  t.equal(await adapters.tables.cosmos.get(late), undefined, 'the change was not imported');
  t.equal(await adapters.tables.cosmos.count(), chain!.count, 'Cosmos unchanged');
});

t.test('(d) a document corrupted at the destination fails the verification, naming the item', async (t) => {
  const victim = key('img-0007', 0);
  const corrupt = async () => {
    const doc = (await rawDocument(mainContainer, victim))!;
    await mainContainer.items.upsert({ ...doc, owner: `${String(doc.owner)}-tampered` });
  };
  // Corrupted after the import wrote it and before the sample is read back (the count comes in between).
  const destination: DocumentTable = Object.assign(Object.create(adapters.tables.cosmos) as DocumentTable, {
    count: async (signal?: AbortSignal) => {
      await corrupt();
      return adapters.tables.cosmos.count(signal);
    },
  });
  const summary = await syncMetadata(options({ destination, sampleRatio: 1 }));
  t.equal(summary.kind, 'full');
  t.equal(summary.verification.status, 'fail');
  t.match(summary.verification.reason, /1 of \d+ sampled items differ/);
  t.match(summary.verification.reason, JSON.stringify(victim), 'the item is named by its key');
  t.match(summary.verification.reason, /hash differs/);
  t.equal(summary.chain, undefined, 'an unverified import does not move the chain');
  t.match(summary.verification.evidence, { sample: { mismatches: [{ key: victim }] } });
});

// ------------------------------------------------------------------ crafted exports

const itemLine = (item: Item): string => JSON.stringify({ Item: item });

/** Writes an export in AWS's layout to the exports bucket; returns a TableExporter that "made" it. */
async function craftedExport(lines: string[], opts: { wrongMd5?: boolean } = {}): Promise<{ exporter: TableExporter; dataKey: string }> {
  const id = `${Date.now()}-crafted-${randomBytes(3).toString('hex')}`;
  const root = `${config.sync.exportPrefix}/AWSDynamoDB/${id}`;
  const bucket = adapters.objects.awsExports;
  const put = async (k: string, body: Buffer | string) => {
    const bytes = Buffer.from(body);
    await bucket.put(k, Readable.from([bytes]), { size: bytes.length });
  };
  const gz = gzipSync(lines.map((l) => l + '\n').join(''));
  const dataKey = `${root}/data/${randomBytes(8).toString('hex')}.json.gz`;
  await put(dataKey, gz);
  const md5 = createHash('md5').update(opts.wrongMd5 ? Buffer.concat([gz, Buffer.from('x')]) : gz).digest('base64');
  const manifestFilesKey = `${root}/manifest-files.json`;
  await put(manifestFilesKey, JSON.stringify({ itemCount: lines.length, md5Checksum: md5, etag: 'irrelevant', dataFileS3Key: dataKey }) + '\n');
  const exportTime = new Date(Date.now() - 1000);
  const manifestKey = `${root}/manifest-summary.json`;
  const arn = `arn:aws:dynamodb:us-east-1:000000000000:table/${table}/export/${id}`;
  await put(manifestKey, JSON.stringify({ exportArn: arn, exportTime: exportTime.toISOString(), itemCount: lines.length, manifestFilesS3Key: manifestFilesKey, outputFormat: 'DYNAMODB_JSON' }));
  const description: ExportDescription = { id, arn, kind: 'full', status: 'completed', manifestKey, itemCount: lines.length, exportTime };
  return { exporter: { startExport: async () => description, describeExport: async () => description }, dataKey };
}

const small = (i: number): Item => ({ ...key('crafted', i), content: { S: `item ${i}` }, n: { N: String(i) } });

t.test('(e) a malformed line and an item too big for Cosmos are quarantined with file and line; the rest is imported', async (t) => {
  const { table: destination } = await freshCosmos(t);
  const huge = { ...key('crafted', 100), content: { S: 'x'.repeat(2 * 1024 * 1024 + 10) } };
  const lines = [itemLine(small(1)), itemLine(small(2)), '{"Item": {"imageId": {"S": "crafted"}, "chunkIndex"', itemLine(small(3)), itemLine(huge), itemLine(small(4))];
  const { exporter, dataKey } = await craftedExport(lines);
  const quarantineFile = join(work, 'crafted-e.jsonl');

  const summary = await syncMetadata(options({ exporter, destination, sampleRatio: 1, quarantineFile }));
  t.equal(summary.import.records, 6);
  t.equal(summary.import.quarantined, 2, 'two records quarantined');
  t.equal(summary.import.written, 4, 'the four good items written');
  t.equal(await destination.count(), 4);
  for (let i = 1; i <= 4; i++) t.strictSame(await destination.get(key('crafted', i)), small(i), `good item ${i} imported`);
  t.equal(summary.quarantineFile, quarantineFile);
  const byLine = [...summary.quarantinedFirst].sort((a, b) => a.line - b.line);
  t.match(byLine, [
    { file: dataKey, line: 3, reason: /^not JSON/ },
    { file: dataKey, line: 5, reason: /bytes; Cosmos documents hold at most 2097152/ },
  ]);
  const written = (await readFile(quarantineFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { file: string; line: number; reason: string; key?: Item });
  t.equal(written.length, 2, 'two lines in the quarantine file');
  t.strictSame(written.map((q) => [q.file, q.line]).sort((a, b) => Number(a[1]) - Number(b[1])), [[dataKey, 3], [dataKey, 5]]);
  t.strictSame(written.find((q) => q.line === 5)?.key, { ...key('crafted', 100) }, 'the big item is named by its key, not carried whole');
  t.equal(summary.verification.status, 'fail', 'a run with quarantined records is not verified');
  t.match(summary.verification.reason, /2 records quarantined \(first: .* line \d: /);
  t.match(summary.verification.reason, /4 items at .*, 6 expected/);
  t.equal(summary.chain, undefined);
});

t.test('(g) a data file whose MD5 differs from the manifest is refused before anything is imported', async (t) => {
  const { table: destination } = await freshCosmos(t);
  // More lines than a batch: a check made only once the file has been read would come after writes.
  const { exporter, dataKey } = await craftedExport(Array.from({ length: 120 }, (_, i) => itemLine(small(i))), { wrongMd5: true });
  const run = syncMetadata(options({ exporter, destination, batchSize: 50 }));
  await t.rejects(run, IntegrityError);
  await t.rejects(run, { message: new RegExp(`${dataKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*MD5 .* differs from the manifest`) });
  t.equal(await destination.count(), 0, 'nothing imported');
});

// ------------------------------------------------------------------ delete brakes

t.test('(h) scan mode: 3 source items beside 503 documents remove nothing, and the verification fails naming the brake', async (t) => {
  const { table: source } = await freshCosmos(t);
  const { table: destination } = await freshCosmos(t);
  const kept = [0, 1, 2].map((i) => ({ ...key('kept', i), content: { S: `kept ${i}` } }));
  await source.bulkWrite(kept.map((item) => ({ type: 'put' as const, item })));
  const old = Array.from({ length: 500 }, (_, i) => ({ ...key('old', i), content: { S: 'from a fuller day' } }));
  for (const batch of [kept, old.slice(0, 250), old.slice(250)]) await destination.bulkWrite(batch.map((item) => ({ type: 'put' as const, item })));
  t.equal(await destination.count(), 503);

  const held = await syncMetadata(options({ mode: 'scan', source, destination, export: undefined }));
  t.equal(held.staleRemoved, 0);
  t.equal(await destination.count(), 503, 'nothing deleted');
  t.same(held.brake, {
    reason: `metadata: 500 of the 503 items at ${destination.name} would be deleted, more than the limit of 125 (sync.maxDeleteRatio 25 %, sync.maxDeleteMinimum 10): nothing deleted; allow them with --allow-deletes`,
    planned: 500, destinationCount: 503, limit: 125,
  });
  t.equal(held.verification.status, 'fail');
  t.match(held.verification.reason, /^metadata: 500 of the 503 items .* would be deleted/, 'the brake comes first in the reason');
  t.equal(held.chain, undefined, 'the chain does not move');

  const allowed = await syncMetadata(options({ mode: 'scan', source, destination, export: undefined, deletes: { maxRatio: 0.25, minimum: 10, allow: true } }));
  t.equal(allowed.staleRemoved, 500);
  t.equal(allowed.deletesAllowed, true, 'the override is on the record');
  t.equal(allowed.brake, undefined);
  t.equal(await destination.count(), 3);
  t.equal(allowed.verification.status, 'pass', allowed.verification.reason);
});

t.test('(i) an empty full export beside a full destination removes nothing', async (t) => {
  const { table: destination } = await freshCosmos(t);
  await destination.bulkWrite([0, 1, 2, 3, 4].map((i) => ({ type: 'put' as const, item: small(i) })));
  const { exporter } = await craftedExport([]);
  const summary = await syncMetadata(options({ exporter, destination }));
  t.equal(summary.import.records, 0);
  t.equal(summary.staleRemoved, 0);
  t.equal(await destination.count(), 5, 'nothing deleted, though 5 is below sync.maxDeleteMinimum');
  t.match(summary.brake, { planned: 5, destinationCount: 5, limit: 0, reason: /lists no items while .* holds 5: .*nothing deleted/ });
  t.equal(summary.verification.status, 'fail');
  t.match(summary.verification.reason, /lists no items while/);
  t.equal(summary.verification.measurements.ratio, 0, 'no integrity on nothing imported');
});
