import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { S3Client, HeadBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { FaultSwitch, startControlServer } from '../../lab/faults.js';
import { startProxy } from '../../lab/proxy.js';
import { RequestTally, tallySince } from '../../lab/request-tally.js';
import type { Teardown } from '../helpers/emulators.js';

/** A stand-in upstream that counts what reaches it and answers a fixed body. */
async function startUpstream(tt: Teardown) {
  const state = { hits: 0 };
  const body = 'x'.repeat(64 * 1024);
  const server = http.createServer((req, res) => {
    state.hits += 1;
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tt.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state, body };
}

async function setup(tt: Teardown, service = 's3') {
  const upstream = await startUpstream(tt);
  const faults = new FaultSwitch();
  const tally = new RequestTally();
  const proxy = await startProxy({ upstream: upstream.url, host: '127.0.0.1', service, faults, tally });
  tt.teardown(() => proxy.close());
  return { upstream, faults, proxy, tally };
}

t.test('the tally counts every request by service and method, faulted ones too', async (t) => {
  const { upstream, faults, proxy, tally } = await setup(t, 'blob');
  await (await fetch(`${proxy.url}/a/b`)).text();
  const before = tally.snapshot();
  faults.set('blob', { status: 503, count: 1 });
  await (await fetch(`${proxy.url}/a/b`, { method: 'PUT', body: 'x' })).text();
  await (await fetch(`${proxy.url}/a/b`, { method: 'PUT', body: 'y' })).text();
  await (await fetch(`${proxy.url}/a/b`, { method: 'HEAD' })).text();
  t.same(tally.snapshot(), { 'blob GET': 1, 'blob PUT': 2, 'blob HEAD': 1 });
  t.same(tallySince(before, tally.snapshot()), { 'blob PUT': 2, 'blob HEAD': 1 }, 'the difference leaves out what did not move');
  t.equal(upstream.state.hits, 3, 'the faulted PUT never reached the upstream, yet it was counted');
});

t.test('503 with Retry-After on the next 2 requests, then normal', async (t) => {
  const { upstream, faults, proxy } = await setup(t);
  faults.set('s3', { status: 503, retryAfterSeconds: 7, count: 2 });
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${proxy.url}/bucket/key`);
    t.equal(res.status, 503);
    t.equal(res.headers.get('retry-after'), '7');
    t.match(await res.text(), /<Code>SlowDown<\/Code>/);
  }
  const res = await fetch(`${proxy.url}/bucket/key`);
  t.equal(res.status, 200);
  t.equal(await res.text(), upstream.body);
  t.equal(upstream.state.hits, 1, 'faulted requests never reached the upstream');
  t.equal(faults.get('s3'), undefined, 'the fault cleared itself');
});

t.test('SDKs read the injected errors as their service\'s own', async (t) => {
  const s3 = await setup(t, 's3');
  s3.faults.set('s3', { status: 503 });
  const s3Client = new S3Client({
    endpoint: s3.proxy.url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: 'k', secretAccessKey: 's' },
  });
  t.teardown(() => s3Client.destroy());
  await t.rejects(s3Client.send(new ListObjectsV2Command({ Bucket: 'b' })), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });

  const ddb = await setup(t, 'dynamodb');
  ddb.faults.set('dynamodb', { status: 429 });
  const ddbClient = new DynamoDBClient({
    endpoint: ddb.proxy.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'k', secretAccessKey: 's' },
  });
  t.teardown(() => ddbClient.destroy());
  await t.rejects(ddbClient.send(new ListTablesCommand({})), { name: 'ThrottlingException' });

  const blob = await setup(t, 'blob');
  blob.faults.set('blob', { status: 503 });
  const blobRes = await fetch(`${blob.proxy.url}/devstoreaccount1/c?restype=container`);
  t.equal(blobRes.headers.get('x-ms-error-code'), 'ServerBusy');

  const cosmos = await setup(t, 'cosmos');
  cosmos.faults.set('cosmos', { status: 429, retryAfterSeconds: 2 });
  const cosmosRes = await fetch(`${cosmos.proxy.url}/dbs`);
  t.equal(cosmosRes.status, 429);
  t.equal(cosmosRes.headers.get('x-ms-retry-after-ms'), '2000');
  t.match(await cosmosRes.json(), { code: 'TooManyRequests' });
});

t.test('a 403 limited to some methods refuses those and lets the others through', async (t) => {
  const { upstream, faults, proxy } = await setup(t, 'cosmos');
  faults.set('cosmos', { status: 403, methods: ['POST', 'PUT', 'DELETE'], count: 1 });
  t.equal((await fetch(`${proxy.url}/dbs/db/colls/c`)).status, 200, 'a read passes and does not use up the count');
  const refused = await fetch(`${proxy.url}/dbs/db/colls/c/docs`, { method: 'POST', body: '{}' });
  t.equal(refused.status, 403);
  t.match(await refused.json(), { code: 'Forbidden' });
  t.equal((await fetch(`${proxy.url}/dbs/db/colls/c/docs`, { method: 'POST', body: '{}' })).status, 200, 'count 1: cleared');
  t.equal(upstream.state.hits, 2);
});

t.test('latency holds a request back before it reaches the upstream', async (t) => {
  const { upstream, faults, proxy } = await setup(t);
  faults.set('s3', { latencyMs: 60_000 });
  await t.rejects(fetch(`${proxy.url}/slow`, { signal: AbortSignal.timeout(300) }), { name: 'TimeoutError' });
  t.equal(upstream.state.hits, 0, 'the upstream has not seen the delayed request');
  faults.set('s3', undefined);
  t.equal((await fetch(`${proxy.url}/fast`)).status, 200);
});

t.test('a dropped connection is a socket error in the client', async (t) => {
  const { upstream, faults, proxy } = await setup(t);
  faults.set('s3', { dropConnection: true, count: 2 });
  // A GET is cut mid-response: the status line arrives, the body does not.
  const res = await fetch(`${proxy.url}/bucket/big`);
  t.equal(res.status, 200);
  await t.rejects(res.text(), 'the body is cut');
  // A PUT is cut mid-request: it never reaches the upstream.
  const hitsBefore = upstream.state.hits;
  await t.rejects(fetch(`${proxy.url}/bucket/put`, { method: 'PUT', body: 'payload' }), { name: 'TypeError' });
  t.equal(upstream.state.hits, hitsBefore);
  t.equal((await fetch(`${proxy.url}/bucket/ok`)).status, 200, 'normal again after the count');
});

t.test('the control server switches faults at run time', async (t) => {
  const { faults, proxy } = await setup(t, 'dynamodb');
  const control = await startControlServer(faults, '127.0.0.1');
  t.teardown(() => control.close());

  const put = await fetch(`${control.url}/faults/dynamodb`, { method: 'PUT', body: JSON.stringify({ status: 503, retryAfterSeconds: 3 }) });
  t.equal(put.status, 200);
  t.same(await (await fetch(`${control.url}/faults`)).json(), { dynamodb: { status: 503, retryAfterSeconds: 3 } });
  const faulted = await fetch(proxy.url, { method: 'POST', body: '{}' });
  t.equal(faulted.status, 503);
  t.match(await faulted.json(), { __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException' });

  t.equal((await fetch(`${control.url}/faults/dynamodb`, { method: 'DELETE' })).status, 204);
  t.equal((await fetch(proxy.url, { method: 'POST', body: '{}' })).status, 200);

  const bad = await fetch(`${control.url}/faults/s3`, { method: 'PUT', body: JSON.stringify({ status: 500, ratio: 2 }) });
  t.equal(bad.status, 400);
  t.match(await bad.text(), /status must be 403, 429 or 503.*ratio/);
  t.equal((await fetch(`${control.url}/faults/nosuch`, { method: 'PUT', body: '{}' })).status, 404);

  await fetch(`${control.url}/faults/s3`, { method: 'PUT', body: JSON.stringify({ latencyMs: 5 }) });
  t.equal((await fetch(`${control.url}/faults`, { method: 'DELETE' })).status, 204);
  t.same(await (await fetch(`${control.url}/faults`)).json(), {});
});

t.test('ratio picks a share of requests', async (t) => {
  const faults = new FaultSwitch();
  faults.set('blob', { status: 503, ratio: 0 });
  t.equal(faults.draw('blob'), undefined, 'ratio 0 never hits');
  faults.set('blob', { status: 503, ratio: 1, count: 1 });
  t.match(faults.draw('blob'), { status: 503 });
  t.equal(faults.draw('blob'), undefined);
});

t.test('HeadBucket through a healthy proxy is untouched', async (t) => {
  const { proxy } = await setup(t);
  const client = new S3Client({
    endpoint: proxy.url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: 'k', secretAccessKey: 's' },
  });
  t.teardown(() => client.destroy());
  const out = await client.send(new HeadBucketCommand({ Bucket: 'b' }));
  t.equal(out.$metadata.httpStatusCode, 200);
});
