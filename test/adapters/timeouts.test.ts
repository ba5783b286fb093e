/**
 * Every outbound call gives up after `sync.requestTimeoutSeconds` (here 1 s, the least it may be) with a failure
 * classified 'timeout', instead of hanging: the real adapters and control-plane clients, built
 * from the lab's own drsentinel.yaml, under the twin's latency fault (minutes); and bodies that
 * stop arriving mid-way, from a server that sends the headers and a few bytes, then nothing.
 */
import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { BlobServiceClient } from '@azure/storage-blob';
import { buildAdapters, type Adapters } from '../../src/adapters/index.js';
import { buildControlPlane } from '../../src/adapters/control.js';
import { withIdleTimeout } from '../../src/adapters/stall.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { classifyFailure } from '../../src/core/retry.js';
import type { FaultService } from '../../lab/faults.js';
import { withLab } from '../helpers/lab.js';

const TIMEOUT_SECONDS = 1;
const LATENCY_MS = 5 * 60_000;

const lab = await withLab(t);
const labConfig = loadConfig(lab.configFile).config;

function boundedAdapters(t: Test, patch: (config: Config) => void = () => {}, env: NodeJS.ProcessEnv = process.env): Adapters {
  const config = structuredClone(labConfig);
  config.sync.requestTimeoutSeconds = TIMEOUT_SECONDS;
  patch(config);
  const adapters = buildAdapters(config, env);
  t.teardown(() => adapters.close());
  return adapters;
}

function slow(t: Test, service: FaultService): void {
  lab.faults.set(service, { latencyMs: LATENCY_MS });
  t.teardown(() => lab.faults.set(service, undefined));
}

/** The call fails as a timeout, in less than `withinSeconds`. */
async function timesOut(t: Test, what: string, call: () => Promise<unknown>, withinSeconds: number): Promise<void> {
  const started = Date.now();
  const error = await call().then(() => undefined, (e: unknown) => e);
  const seconds = (Date.now() - started) / 1000;
  t.ok(error, `${what}: fails`);
  t.equal(classifyFailure(error), 'timeout', `${what}: classified timeout (${String((error as Error)?.message).slice(0, 160)})`);
  t.ok(seconds >= TIMEOUT_SECONDS * 0.9 && seconds < withinSeconds, `${what}: after ${seconds.toFixed(1)} s, not minutes`);
}

async function first<T>(items: AsyncIterable<T>): Promise<T> {
  for await (const item of items) return item;
  throw new Error('nothing listed');
}

async function drain(body: Readable): Promise<number> {
  let bytes = 0;
  for await (const chunk of body) bytes += (chunk as Buffer).length;
  return bytes;
}

t.test('S3 under minutes of latency: head, get and list end as timeouts', { timeout: 120_000 }, async (t) => {
  const store = boundedAdapters(t).objects.awsSite;
  const { key } = await first(store.list());
  slow(t, 's3');
  // The SDK tries 3 times, 1 s each; the list page is retried on top by the engines' policy.
  await timesOut(t, 'head', () => store.head(key), 15);
  await timesOut(t, 'get', () => store.get(key), 15);
  await timesOut(t, 'list', () => first(store.list()), 90);
});

t.test('Blob under minutes of latency: head and list end as timeouts', { timeout: 120_000 }, async (t) => {
  const store = boundedAdapters(t).objects.azureStaging;
  const key = 'timeouts/probe';
  await store.put(key, Readable.from([Buffer.from('probe')]), { size: 5 });
  slow(t, 'blob');
  await timesOut(t, 'head', () => store.head(key), 15);
  await timesOut(t, 'list', () => first(store.list()), 90);
});

t.test('DynamoDB and Cosmos under minutes of latency end as timeouts', { timeout: 120_000 }, async (t) => {
  const { dynamodb, cosmos } = boundedAdapters(t).tables;
  await cosmos.keySchema();
  slow(t, 'dynamodb');
  await timesOut(t, 'DynamoDB count', () => dynamodb.count(), 30);
  slow(t, 'cosmos');
  await timesOut(t, 'Cosmos count', () => cosmos.count(), 30);
});

t.test('ARM and CloudWatch under minutes of latency end as timeouts', { timeout: 120_000 }, async (t) => {
  const config = structuredClone(labConfig);
  config.sync.requestTimeoutSeconds = TIMEOUT_SECONDS;
  const control = buildControlPlane(config);
  t.teardown(() => control.close());
  slow(t, 'arm');
  await timesOut(t, 'ARM scale set', () => control.scaleSet().get(), 60);
  slow(t, 'cloudwatch');
  const sink = control.metricSink()!;
  await timesOut(t, 'CloudWatch datapoint', () => sink.put('drsentinel', 'SyncFailed', 0, { Flow: 'site' }, new Date()), 30);
});

/** Answers every GET with its headers and the first bytes of a body it never finishes; HEAD never. */
async function stallingServer(t: Test, headers: http.OutgoingHttpHeaders): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET') return;
    res.writeHead(200, { 'content-length': '1000', ...headers });
    res.write(Buffer.alloc(10, 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const OBJECT_HEADERS = { etag: '"0123456789abcdef0123456789abcdef"', 'last-modified': new Date(0).toUTCString(), 'content-type': 'application/octet-stream' };

t.test('S3: a body that stops arriving fails as a timeout (the socket idle bound)', { timeout: 60_000 }, async (t) => {
  const url = await stallingServer(t, OBJECT_HEADERS);
  const store = boundedAdapters(t, (c) => {
    c.aws.s3.endpoint = url;
    c.aws.s3.forcePathStyle = true;
  }).objects.awsSite;
  const { body } = await store.get('stalled');
  await timesOut(t, 'S3 body', () => drain(body), 10);
});

t.test('Blob: a download body that stops arriving waits for ever, unless read through withIdleTimeout', { timeout: 60_000 }, async (t) => {
  const url = await stallingServer(t, { ...OBJECT_HEADERS, 'x-ms-blob-type': 'BlockBlob', 'x-ms-version': '2025-01-05' });
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${Buffer.from('not a secret').toString('base64')};BlobEndpoint=${url}/devstoreaccount1;`;
  const store = boundedAdapters(t, (c) => void (c.azure.blob.connectionString = { env: 'STALLING_BLOB' }), { ...process.env, STALLING_BLOB: connectionString });
  await timesOut(t, 'Blob head (headers never come)', () => store.objects.azureSite.head('stalled'), 10);

  const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('$web').getBlobClient('stalled');
  const download = await client.download(0, undefined, { maxRetryRequests: 0 });
  const bare = download.readableStreamBody as Readable;
  const outcome = await Promise.race([drain(bare).then(() => 'ended', () => 'failed'), new Promise((r) => setTimeout(r, 3 * TIMEOUT_SECONDS * 1000, 'still waiting'))]);
  t.equal(outcome, 'still waiting', "the SDK's body has no timeout of its own");
  const bounded = withIdleTimeout(bare, TIMEOUT_SECONDS * 1000, 'blob://$web/stalled');
  await timesOut(t, 'Blob body through withIdleTimeout', () => drain(bounded), 10);
  t.ok(bare.destroyed, 'the stalled download is released');
});
