/**
 * The metadata engine's decisions on tables and buckets held in memory, with exports crafted in
 * AWS's layout: the chain refused on a gap or an overlap, a corrupted document found by the
 * sample, quarantine, a data file whose MD5 is not the manifest's, scan mode, and the delete
 * brakes. The real export, its staging and the documents Cosmos holds are proven on the twin
 * (metadata.test.ts).
 */
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { canonicalHash } from '../../src/core/canonical.js';
import type { ExportDescription, ExportRequest, TableExporter } from '../../src/core/exports.js';
import type { Item } from '../../src/core/items.js';
import { IntegrityError } from '../../src/core/retry.js';
import type { ChainPoint } from '../../src/core/sync-summary.js';
import { ChainError, syncMetadata, type MetadataSyncOptions } from '../../src/sync/metadata.js';
import { IMAGES_SCHEMA } from '../contract/document-table.js';
import { MemoryDocumentTable } from '../helpers/memory-document-table.js';
import { metadataOptions } from '../helpers/metadata-options.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';

const work = await mkdtemp(join(tmpdir(), 'drsentinel-metadata-engine-'));
t.teardown(() => rm(work, { recursive: true, force: true }));

const TABLE = 'images';
const PREFIX = 'exports';

const cosmos = (name = 'images') => new MemoryDocumentTable(`cosmos://drsentinel/${name}`, IMAGES_SCHEMA, { behaves: 'cosmos' });
const dynamo = () => new MemoryDocumentTable(`dynamodb://${TABLE}`, IMAGES_SCHEMA, { behaves: 'dynamodb' });

/** The buckets an export goes through: AWS's, listed as S3 lists, and Azure's staging container. */
function exportStores() {
  return { bucket: new MemoryObjectStore('s3://exports', 'utf8', { listsMetadata: false }), staging: new MemoryObjectStore('blob://staging', 'utf16') };
}

/** What an export was made with: the exporter, and the bucket it wrote to. */
interface Crafted {
  exporter: TableExporter;
  bucket: MemoryObjectStore;
}

let runs = 0;
function options(over: Partial<MetadataSyncOptions> & { crafted?: Crafted } = {}): MetadataSyncOptions {
  const { crafted, ...rest } = over;
  const { bucket, staging } = exportStores();
  const exporter = crafted?.exporter ?? { startExport: () => Promise.reject(new Error('no export here')), describeExport: () => Promise.reject(new Error('no export here')) };
  const place = { exporter, bucket: crafted?.bucket ?? bucket, bucketName: 'exports', prefix: PREFIX, staging, pollIntervalMs: 10, timeoutMs: 10_000, minWindowMs: 1000 };
  return metadataOptions({ runId: `test-run-${++runs}`, source: dynamo(), destination: cosmos(), export: place, work }, rest);
}

const key = (imageId: string, chunk: number): Item => ({ imageId: { S: imageId }, chunkIndex: { N: String(chunk) } });

/** An item like the lab's seeded ones: binary, sets and 38-digit numbers among its attributes. */
const seeded = (i: number): Item => ({
  ...key(`img-${String(Math.floor(i / 5)).padStart(4, '0')}`, i % 5),
  content: { S: `chunk ${i} `.repeat(20) },
  owner: { S: ['alice', 'bob', 'carol'][i % 3]! },
  tags: { SS: ['scan', `batch-${i % 7}`] },
  chunkSha256: { B: createHash('sha256').update(String(i)).digest('base64') },
  sequenceNumber: { N: `98765432109876543210987654321098765${String(i).padStart(3, '0')}` },
});

// ------------------------------------------------------------------ crafted exports

const itemLine = (item: Item): string => JSON.stringify({ Item: item });

/**
 * An exporter that writes `lines` as an export in AWS's layout to a fresh exports bucket when
 * asked: a full export, or an incremental one over the window asked, its start moved by
 * `shiftMs` (in the description and the manifest alike). `wrongMd5` states an MD5 in the
 * manifest that is not the data file's.
 */
function craftedExport(lines: string[], opts: { wrongMd5?: boolean; shiftMs?: number } = {}): Crafted & { dataKey: string } {
  const id = `${Date.now()}-crafted-${randomBytes(3).toString('hex')}`;
  const root = `${PREFIX}/AWSDynamoDB/${id}`;
  const dataKey = `${root}/data/${randomBytes(8).toString('hex')}.json.gz`;
  const { bucket } = exportStores();
  const put = async (k: string, body: Buffer | string) => {
    const bytes = Buffer.from(body);
    await bucket.put(k, Readable.from([bytes]), { size: bytes.length });
  };
  let description: ExportDescription | undefined;
  const write = async (request: ExportRequest): Promise<ExportDescription> => {
    const gz = gzipSync(lines.map((l) => l + '\n').join(''));
    await put(dataKey, gz);
    const md5 = createHash('md5').update(opts.wrongMd5 ? Buffer.concat([gz, Buffer.from('x')]) : gz).digest('base64');
    const manifestFilesKey = `${root}/manifest-files.json`;
    await put(manifestFilesKey, JSON.stringify({ itemCount: lines.length, md5Checksum: md5, etag: 'irrelevant', dataFileS3Key: dataKey }) + '\n');
    const exportTime = new Date(Date.now() - 1000);
    const manifestKey = `${root}/manifest-summary.json`;
    const arn = `arn:aws:dynamodb:us-east-1:000000000000:table/${TABLE}/export/${id}`;
    const window = request.kind === 'incremental' ? { from: new Date(request.from!.getTime() + (opts.shiftMs ?? 0)), to: request.to! } : undefined;
    await put(manifestKey, JSON.stringify({
      exportArn: arn, exportTime: exportTime.toISOString(), itemCount: lines.length, manifestFilesS3Key: manifestFilesKey, outputFormat: 'DYNAMODB_JSON',
      ...(window ? { exportType: 'INCREMENTAL_EXPORT', exportFromTime: window.from.toISOString(), exportToTime: window.to.toISOString() } : {}),
    }));
    return { id, arn, kind: request.kind, status: 'completed', manifestKey, itemCount: lines.length, exportTime, ...window };
  };
  return { exporter: { startExport: async (request) => (description ??= await write(request)), describeExport: async () => description! }, bucket, dataKey };
}

const small = (i: number): Item => ({ ...key('crafted', i), content: { S: `item ${i}` }, n: { N: String(i) } });

t.test('(c) an export window that does not start where the chain stands is refused, nothing imported', async (t) => {
  const destination = cosmos();
  const imported = Array.from({ length: 20 }, (_, i) => seeded(i));
  await destination.bulkWrite(imported.map((item) => ({ type: 'put' as const, item })));
  const chain: ChainPoint = { through: new Date(Date.now() - 5000).toISOString(), count: imported.length };
  const late = key('img-9100', 0);
  const lines = [itemLine({ ...late, content: { S: 'changed after the chain point' } })];

  const gap = syncMetadata(options({ previous: chain, destination, crafted: craftedExport(lines, { shiftMs: 500 }) }));
  await t.rejects(gap, ChainError, 'a gap is refused');
  await t.rejects(gap, { message: /0\.5 s after the last verified import .*would be lost/ });
  const overlap = syncMetadata(options({ previous: chain, destination, crafted: craftedExport(lines, { shiftMs: -500 }) }));
  await t.rejects(overlap, { name: 'ChainError', failureClass: 'integrity', message: /overlapping the last verified import/ }, 'an overlap is refused');
  t.equal(await destination.get(late), undefined, 'the change was not imported');
  t.equal(await destination.count(), chain.count, 'Cosmos unchanged');

  const exact = await syncMetadata(options({ previous: chain, destination, crafted: craftedExport(lines), sampleRatio: 1 }));
  t.equal(exact.kind, 'incremental', 'the same export starting where the chain stands is taken');
  t.ok(await destination.get(late), 'and imported');
});

t.test('(d) a document corrupted at the destination fails the verification, naming the item', async (t) => {
  const items = Array.from({ length: 50 }, (_, i) => seeded(i));
  const destination = cosmos();
  const victim = key('img-0007', 0);
  // Corrupted after the import wrote it and before the sample is read back (the count comes in between).
  const counting = destination.faults.stall('count');
  void counting.reached.then(async () => {
    const held = (await destination.get(victim))!;
    destination.write({ ...held, owner: { S: `${(held.owner as { S: string }).S}-tampered` } }, { keepSource: true });
    counting.release();
  });
  const summary = await syncMetadata(options({ destination, crafted: craftedExport(items.map(itemLine)), sampleRatio: 1 }));
  t.equal(summary.kind, 'full');
  t.equal(summary.verification.status, 'fail');
  t.match(summary.verification.reason, /1 of \d+ sampled items differ/);
  t.match(summary.verification.reason, JSON.stringify(victim), 'the item is named by its key');
  t.match(summary.verification.reason, /hash differs/);
  t.equal(summary.chain, undefined, 'an unverified import does not move the chain');
  t.match(summary.verification.evidence, { sample: { mismatches: [{ key: victim }] } });
});

t.test('(e) a malformed line and an item too big for Cosmos are quarantined with file and line; the rest is imported', async (t) => {
  const destination = cosmos();
  const huge = { ...key('crafted', 100), content: { S: 'x'.repeat(2 * 1024 * 1024 + 10) } };
  const lines = [itemLine(small(1)), itemLine(small(2)), '{"Item": {"imageId": {"S": "crafted"}, "chunkIndex"', itemLine(small(3)), itemLine(huge), itemLine(small(4))];
  const crafted = craftedExport(lines);
  const { dataKey } = crafted;
  const quarantineFile = join(work, 'crafted-e.jsonl');

  const summary = await syncMetadata(options({ crafted, destination, sampleRatio: 1, quarantineFile }));
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

t.test('(f) scan mode imports every item of a table and verifies', async (t) => {
  const source = dynamo();
  const items = Array.from({ length: 500 }, (_, i) => seeded(i));
  await source.bulkWrite(items.map((item) => ({ type: 'put' as const, item })));
  const destination = cosmos();
  const summary = await syncMetadata(options({ mode: 'scan', source, destination, export: undefined, sampleRatio: 0.2 }));
  t.equal(summary.kind, 'scan');
  t.equal(summary.import.puts, 500);
  t.equal(summary.destinationCount, 500);
  t.equal(await destination.count(), 500);
  t.equal(summary.verification.status, 'pass', summary.verification.reason);
  t.ok(summary.chain);
  t.equal(canonicalHash((await destination.get(key('img-0001', 0)))!), canonicalHash(seeded(5)), 'equal by canonical hash');
});

t.test('(g) a data file whose MD5 differs from the manifest is refused before anything is imported', async (t) => {
  const destination = cosmos();
  // More lines than a batch: a check made only once the file has been read would come after writes.
  const crafted = craftedExport(Array.from({ length: 120 }, (_, i) => itemLine(small(i))), { wrongMd5: true });
  const { dataKey } = crafted;
  const run = syncMetadata(options({ crafted, destination, batchSize: 50 }));
  await t.rejects(run, IntegrityError);
  await t.rejects(run, { message: new RegExp(`${dataKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*MD5 .* differs from the manifest`) });
  t.equal(await destination.count(), 0, 'nothing imported');
});

// ------------------------------------------------------------------ delete brakes

t.test('(h) scan mode: 3 source items beside 503 documents remove nothing, and the verification fails naming the brake', async (t) => {
  const source = cosmos('source');
  const destination = cosmos('destination');
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
  const destination = cosmos();
  await destination.bulkWrite([0, 1, 2, 3, 4].map((i) => ({ type: 'put' as const, item: small(i) })));
  const summary = await syncMetadata(options({ crafted: craftedExport([]), destination }));
  t.equal(summary.import.records, 0);
  t.equal(summary.staleRemoved, 0);
  t.equal(await destination.count(), 5, 'nothing deleted, though 5 is below sync.maxDeleteMinimum');
  t.match(summary.brake, { planned: 5, destinationCount: 5, limit: 0, reason: /lists no items while .* holds 5: .*nothing deleted/ });
  t.equal(summary.verification.status, 'fail');
  t.match(summary.verification.reason, /lists no items while/);
  t.equal(summary.verification.measurements.ratio, 0, 'no integrity on nothing imported');
});
