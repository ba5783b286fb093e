import t from 'tap';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { ContainerClient, newPipeline, type StorageSharedKeyCredential } from '@azure/storage-blob';
import { BlobObjectStore, decodeMetadataName, encodeMetadataName } from '../../src/adapters/azure/blob.js';
import { withLab } from '../helpers/lab.js';
import { adaptersFor, freshName, labSdk } from './lab-adapters.js';
import { compareKeys, objectStoreContract } from './object-store.js';

const lab = await withLab(t, { empty: true });
const sdk = labSdk(t, lab);

async function freshContainer(test: Parameters<typeof adaptersFor>[0]) {
  const container = freshName('contract-');
  await sdk.blob.getContainerClient(container).create();
  return adaptersFor(test, lab, (c) => void (c.azure.blob.containers.uploads = container)).objects.azureUploads;
}

t.test('Blob passes the ObjectStore contract', async (t) => objectStoreContract(t, freshContainer, { presigns: true }));

t.test('Azure naming rules, each with its reason', async (t) => {
  const store = await freshContainer(t);
  t.match(store.rejectKey('page.'), /end with "\." or "\/"/);
  t.match(store.rejectKey('folder/'), /end with "\." or "\/"/);
  t.match(store.rejectKey('a\\b'), /turn "\\" into "\/"/);
  t.match(store.rejectKey('a/'.repeat(254) + 'z'), /255 path segments.*254/);
  t.equal(store.rejectKey('a/'.repeat(253) + 'z'), undefined, '254 segments are fine');
  t.match(store.rejectKey('a/../b'), /collapsed/);
  t.match(store.rejectKey('tab\there'), /control characters/);
  t.match(store.rejectKey('\uE000'), /private-use/);
  t.match(store.rejectKey('😀'.repeat(513)), /1026 characters/, 'Azure counts UTF-16 code units');
  t.equal(store.rejectKey('é'.repeat(1024)), undefined, 'characters, not UTF-8 bytes');
});

t.test('Azurite lists by UTF-16 code units: emoji (surrogates D800–DFFF) before U+E000–U+FFFF', async (t) => {
  const store = await freshContainer(t);
  const keys = ['\uFF01', '😀', 'z', 'é', '\uFFFDx'];
  for (const key of keys) await store.put(key, Readable.from([Buffer.from('x')]), { size: 1 });
  const listed: string[] = [];
  for await (const info of store.list()) listed.push(info.key);
  t.strictSame(listed, ['z', 'é', '😀', '\uFF01', '\uFFFDx']);
  t.strictSame(listed, [...keys].sort(compareKeys('utf16')));
  t.notSame(listed, [...keys].sort(compareKeys('utf8')), 'which is not the UTF-8 order S3 uses');
});

t.test('S3 metadata names round trip through C# identifiers', async (t) => {
  for (const name of ['plain', 'drsentinel_fingerprint', 'source-etag', 'a.b', 'x-amz-thing', '0lead', 'drs_x_sneaky', 'ünï', 'with space']) {
    const stored = encodeMetadataName(name);
    t.match(stored, /^[A-Za-z_][A-Za-z0-9_]*$/, `${name} → ${stored} is an identifier`);
    t.equal(decodeMetadataName(stored), name, `${name} decodes back`);
  }
  t.equal(encodeMetadataName('plain'), 'plain', 'identifiers are kept as they are');
  t.equal(encodeMetadataName('source-etag'), 'drs_x_source_2detag');
  t.equal(decodeMetadataName('App_Name'), 'app_name', 'names written by others read back lower-cased');
});

t.test('requests a put makes: the write answers with what was stored, no read-back', async (t) => {
  const container = sdk.blob.getContainerClient(freshName('requests-'));
  await container.create();
  const sent: string[] = [];
  const pipeline = newPipeline(sdk.blob.credential as StorageSharedKeyCredential, { retryOptions: { maxTries: 1 } });
  pipeline.factories.unshift({
    create: (next) => ({ sendRequest: (request) => (sent.push(`${request.method} ${new URL(request.url).searchParams.get('comp') ?? ''}`.trim()), next.sendRequest(request)) }),
  });
  const blockSize = 1024 * 1024;
  const store = new BlobObjectStore(new ContainerClient(container.url, pipeline), { blockSize });
  const put = async (size: number, contentType?: string) => {
    sent.length = 0;
    const stored = await store.put('k', Readable.from([randomBytes(size)]), { size, contentType, metadata: { 'a.b': 'v', Mixed: 'x' } });
    const requests = [...sent];
    t.strictSame(stored, await store.head('k'), `${size} bytes: put returns what head reports`);
    return requests;
  };
  t.strictSame(await put(1000, 'text/plain'), ['PUT'], 'one block: Put Blob, no head');
  t.strictSame(await put(2 * blockSize + 1, 'text/plain'), ['PUT block', 'PUT block', 'PUT block', 'PUT blocklist'], 'three blocks: no head');
  t.strictSame(await put(1000), ['PUT', 'HEAD'], 'no Content-Type sent: the default the service chose is read, not guessed');
});
