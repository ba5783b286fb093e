import t from 'tap';
import { BlobServiceClient } from '@azure/storage-blob';
import { blobAlone } from '../helpers/azure-twin.js';

const { connectionString, websiteUrl: base } = await blobAlone(t, { website: true });
const site = BlobServiceClient.fromConnectionString(connectionString).getContainerClient('$web');

async function put(key: string, body: string, contentType: string, extra: { blobCacheControl?: string; blobContentEncoding?: string } = {}) {
  await site.getBlockBlobClient(key).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: contentType, ...extra } });
}

await put('index.html', '<h1>home</h1>', 'text/html; charset=utf-8');
await put('about/index.html', '<h1>about</h1>', 'text/html; charset=utf-8');
await put('css/site.css', 'body{}', 'text/css', { blobCacheControl: 'public, max-age=60' });
await put('my page é.html', 'spaced and accented', 'text/html');
await put('写真/index.html', 'unicode folder', 'text/html');

t.test('/ serves index.html as text/html', async (t) => {
  const res = await fetch(`${base}/`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/html/);
  t.equal(await res.text(), '<h1>home</h1>');
  t.ok(res.headers.get('etag'), 'etag from the blob');
  t.ok(res.headers.get('last-modified'), 'last-modified from the blob');
});

t.test('a folder serves its index document, with or without the slash', async (t) => {
  for (const path of ['/about/', '/about']) {
    const res = await fetch(`${base}${path}`);
    t.equal(res.status, 200, path);
    t.equal(await res.text(), '<h1>about</h1>', path);
  }
});

t.test('Content-Type and Cache-Control come from the blob', async (t) => {
  const res = await fetch(`${base}/css/site.css`);
  t.equal(res.headers.get('content-type'), 'text/css');
  t.equal(res.headers.get('cache-control'), 'public, max-age=60');
  t.equal(await res.text(), 'body{}');
});

t.test('keys with a space and non-ASCII characters are URL-decoded', async (t) => {
  const spaced = await fetch(`${base}/${encodeURIComponent('my page é.html')}`);
  t.equal(spaced.status, 200);
  t.equal(await spaced.text(), 'spaced and accented');
  const folder = await fetch(`${base}/${encodeURIComponent('写真')}/`);
  t.equal(folder.status, 200);
  t.equal(await folder.text(), 'unicode folder');
});

t.test('HEAD answers the headers without a body', async (t) => {
  const res = await fetch(`${base}/about/`, { method: 'HEAD' });
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-length'), String(Buffer.byteLength('<h1>about</h1>')));
  t.equal(await res.text(), '');
});

t.test('a missing page is 404: plain before the error document exists, then its body', async (t) => {
  const plain = await fetch(`${base}/nope.html`);
  t.equal(plain.status, 404);
  t.notMatch(await plain.text(), /custom not found/);

  await put('404.html', '<h1>custom not found</h1>', 'text/html; charset=utf-8');
  const res = await fetch(`${base}/no/such/page`);
  t.equal(res.status, 404);
  t.match(res.headers.get('content-type'), /^text\/html/);
  t.equal(await res.text(), '<h1>custom not found</h1>');
});

t.test('a matching If-None-Match answers 304', async (t) => {
  const first = await fetch(`${base}/`);
  await first.arrayBuffer();
  const again = await fetch(`${base}/`, { headers: { 'if-none-match': first.headers.get('etag') ?? '' } });
  t.equal(again.status, 304);
});
