import t from 'tap';
import { randomBytes } from 'node:crypto';
import { AzureTwinState, conversionFunction } from '../../lab/azure/state.js';
import { CHUNK_CHARS, REPLICA_MARK, startFunctionHost } from '../../lab/azure/function-host.js';
import { documentId } from '../../src/core/documents.js';
import { FINGERPRINT_KEY } from '../../src/sync/objects.js';
import { withLab } from '../helpers/lab.js';
import { freshName, labSdk } from '../contract/lab-adapters.js';

const lab = await withLab(t, { empty: true });
const sdk = labSdk(t, lab);
const { blob, cosmos } = lab.endpoints.azure;
const images = sdk.cosmos.database(cosmos.database).container(cosmos.container);
const SCHEMA = { hashKey: { name: 'imageId', type: 'S' as const }, rangeKey: { name: 'chunkIndex', type: 'N' as const } };

// A host of its own on a container of its own, so the test controls its functions and scans.
const containerName = freshName('fh');
const container = sdk.blob.getContainerClient(containerName);
await container.create();
await container.getBlockBlobClient('before-start.png').uploadData(Buffer.from('already here'));
const state = new AzureTwinState();
const lines: string[] = [];
const host = await startFunctionHost({ state, blob: { connectionString: blob.connectionString, uploadsContainer: containerName }, cosmos, log: (l) => lines.push(l), pollIntervalMs: 50 });
t.teardown(() => host.close());
const register = () => state.functions.set('convert', conversionFunction(containerName));

const upload = async (name: string, bytes: Buffer) => {
  await container.getBlockBlobClient(name).uploadData(bytes);
  await host.nextScan();
};
const chunksOf = async (imageId: string) =>
  (await images.items.query<{ id: string; imageId: string; chunkIndex: number; content: string }>({ query: 'SELECT * FROM c WHERE c.imageId = @id', parameters: [{ name: '@id', value: imageId }] }).fetchAll())
    .resources.sort((a, b) => a.chunkIndex - b.chunkIndex);
const runsOn = (name: string) => state.functionRuns.filter((r) => r.trigger === `${containerName}/${name}`);

t.test('a new blob is converted into Base64 chunks with the project\'s document ids, and the run recorded', async (t) => {
  register();
  const bytes = randomBytes(20_000);
  await upload('photos/cat.png', bytes);
  const [run, ...more] = runsOn('photos/cat.png');
  t.same(more, []);
  t.match(run, { functionName: 'convert', succeeded: true, invocationId: /^[0-9a-f-]{36}$/, durationMs: Number });
  const chunks = await chunksOf('photos/cat.png');
  t.equal(chunks.length, Math.ceil(Math.ceil(20_000 / 3) * 4 / CHUNK_CHARS));
  t.same(chunks.map((c) => c.chunkIndex), chunks.map((_, i) => i));
  for (const c of chunks) t.equal(c.id, documentId({ imageId: { S: c.imageId }, chunkIndex: { N: String(c.chunkIndex) } }, SCHEMA));
  t.ok(Buffer.from(chunks.map((c) => c.content).join(''), 'base64').equals(bytes), 'the chunks decode to the blob');
  t.same(runsOn('before-start.png'), [], 'blobs there before the host started are not new');
});

t.test('a blob written again with other content runs the function again', async (t) => {
  const bytes = randomBytes(100);
  await upload('photos/cat.png', bytes);
  t.equal(runsOn('photos/cat.png').length, 2);
  const chunks = await chunksOf('photos/cat.png');
  t.equal(chunks[0]!.content, bytes.toString('base64'));
});

t.test('without the function registered a new blob is passed over', async (t) => {
  state.functions.delete('convert');
  await upload('photos/dog.png', randomBytes(50));
  register();
  await upload('photos/bird.png', randomBytes(50));
  t.same(runsOn('photos/dog.png'), []);
  t.equal(runsOn('photos/bird.png').length, 1);
  t.same(await chunksOf('photos/dog.png'), []);
});

t.test('a replica written by the uploads sync is passed over: its documents come with the metadata sync', async (t) => {
  t.equal(REPLICA_MARK, FINGERPRINT_KEY, 'the function knows the mark the sync writes');
  await container.getBlockBlobClient('photos/replica.png').uploadData(randomBytes(50), { metadata: { [FINGERPRINT_KEY]: 'md5:0123' } });
  await upload('photos/original.png', randomBytes(50));
  t.same(runsOn('photos/replica.png'), []);
  t.same(await chunksOf('photos/replica.png'), []);
  t.equal(runsOn('photos/original.png').length, 1, 'the scan after it did run');
});

t.test('a function whose trigger watches another container does not run', async (t) => {
  state.functions.set('convert', conversionFunction('elsewhere'));
  await upload('photos/fish.png', randomBytes(50));
  t.same(runsOn('photos/fish.png'), []);
  register();
});

t.test('a run that cannot write to Cosmos is recorded as failed, with the reason', async (t) => {
  lab.faults.set('cosmos', { status: 503 });
  t.teardown(() => lab.faults.set('cosmos', undefined));
  await upload('photos/owl.png', randomBytes(50));
  const [run] = runsOn('photos/owl.png');
  t.equal(run?.succeeded, false);
  t.match(run?.message, /.+/, 'the reason is kept');
  t.match(lines.join('\n'), /convert failed on photos\/owl\.png/);
});

t.test('the lab\'s own host converts what lands in the uploads container', async (t) => {
  const uploads = sdk.blob.getContainerClient(blob.containers.uploads);
  const bytes = randomBytes(300);
  await uploads.getBlockBlobClient('lab/own.png').uploadData(bytes);
  let run;
  for (let i = 0; i < 200 && !run; i++) {
    run = lab.azure.state.functionRuns.find((r) => r.trigger === `${blob.containers.uploads}/lab/own.png`);
    if (!run) await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(run?.succeeded, true);
  t.equal((await chunksOf('lab/own.png'))[0]?.content, bytes.toString('base64'));
});
