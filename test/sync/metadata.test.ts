/**
 * The metadata flow (R3) against the lab twin: a full export through the real exporter, staged
 * and imported into the real Cosmos as natural JSON, then an incremental one applying updates,
 * inserts and deletes. The engine's refusals, quarantine, scan mode and brakes are proven on
 * tables held in memory (metadata-engine.test.ts).
 */
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { Container } from '@azure/cosmos';
import { canonicalHash } from '../../src/core/canonical.js';
import { loadConfig } from '../../src/config/load.js';
import { documentId, type CosmosDocument } from '../../src/core/documents.js';
import type { Item } from '../../src/core/items.js';
import type { ChainPoint } from '../../src/core/sync-summary.js';
import { syncMetadata, type MetadataSyncOptions } from '../../src/sync/metadata.js';
import { IMAGES_SCHEMA } from '../contract/document-table.js';
import { adaptersFor, labSdk } from '../contract/lab-adapters.js';
import { metadataOptions } from '../helpers/metadata-options.js';
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
function options(over: Partial<MetadataSyncOptions> = {}): MetadataSyncOptions {
  const place = {
    exporter: adapters.exporter,
    bucket: adapters.objects.awsExports,
    bucketName: config.aws.s3.buckets.exports,
    prefix: config.sync.exportPrefix,
    staging: adapters.objects.azureStaging,
    pollIntervalMs: config.sync.exportPollMs,
    timeoutMs: 120_000,
    minWindowMs: config.sync.incrementalMinWindowSeconds * 1000,
  };
  return metadataOptions({ runId: `test-run-${++runs}`, source: adapters.tables.dynamodb, destination: adapters.tables.cosmos, export: place, work }, over);
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
});
