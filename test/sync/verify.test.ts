/**
 * The integrity proofs R1 (site mirror) and R2 (latest uploads), red and green, on stores held
 * in memory; the website is a server on 127.0.0.1 that answers a page while $web holds it.
 */
import t, { type Test } from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { syncObjects } from '../../src/sync/objects.js';
import { verifyLatestSample, verifyMirror } from '../../src/sync/verify.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';

const PAGES = ['index.html', 'about.html', 'blog/index.html', 'blog/2026/post-1.html', 'blog/2026/post-2.html', 'contact us.html'];

/** A static website over a container: 200 for an object it holds, 404 otherwise. */
async function websiteOver(t: Test, container: MemoryObjectStore): Promise<string> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://website').pathname.replace(/^\/site\//, '');
    const key = path.split('/').map(decodeURIComponent).join('/');
    res.writeHead(container.objects.has(key) ? 200 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/site`;
}

async function siteSetUp(t: Test) {
  const source = new MemoryObjectStore('s3://site', 'utf8', { listsMetadata: false });
  const destination = new MemoryObjectStore('blob://$web', 'utf16');
  for (const key of [...PAGES, 'css/site.css', 'img/logo.png']) source.add(key, `<p>${key}</p>`);
  const websiteUrl = await websiteOver(t, destination);
  const mirrorSite = () => syncObjects({ flow: 'site', mode: 'mirror', source, destination, transfers: 8, checkers: 8 });
  const r1 = () => verifyMirror({ source, destination, websiteUrl });
  return { destination, websiteUrl, mirrorSite, r1 };
}

t.test('R1: passes after a mirror, fails naming what is missing', async (t) => {
  const { destination, mirrorSite, r1 } = await siteSetUp(t);
  const synced = await mirrorSite();
  t.equal(synced.failed, 0);
  const good = await r1();
  t.equal(good.status, 'pass', good.reason);
  t.ok((good.measurements.pages ?? 0) >= 5, 'the pages were asked for on the website');
  t.equal(good.measurements.pages, good.measurements.pagesOk);

  await destination.delete('css/site.css');
  const missing = await r1();
  t.equal(missing.status, 'fail');
  t.match(missing.reason, 'css/site.css', 'the missing object is named');
  t.match(missing.reason, /objects at/, 'the counts differ');
  t.match(missing.reason, /bytes at/, 'the bytes differ');
  t.same(missing.evidence.missing, ['css/site.css']);

  t.equal((await mirrorSite()).copied, 1, 'the mirror puts it back');
  t.equal((await r1()).status, 'pass');
});

t.test('R1: a page gone from $web answers 404 on the website and is named', async (t) => {
  const { destination, websiteUrl, mirrorSite, r1 } = await siteSetUp(t);
  await mirrorSite();
  const page = 'blog/2026/post-1.html';
  const url = new URL(page, `${websiteUrl}/`);
  t.equal((await fetch(url)).status, 200, 'the page is served before');
  await destination.delete(page);
  t.equal((await fetch(url)).status, 404, 'and not after');
  const result = await r1();
  t.equal(result.status, 'fail');
  t.match(result.reason, /pages do not answer 200/);
  t.match(result.reason, page);
  t.same(result.evidence.badPages, [{ key: page, status: 404 }]);
  await mirrorSite();
  t.equal((await r1()).status, 'pass', 'passes again once the page is back');
});

t.test('R2: one corrupted byte in one of the latest uploads fails it, naming the object', async (t) => {
  const source = new MemoryObjectStore('s3://uploads', 'utf8', { listsMetadata: false });
  const destination = new MemoryObjectStore('blob://uploads', 'utf16');
  for (let i = 0; i < 20; i++) source.add(`scans/${String(i).padStart(2, '0')}.png`, randomBytes(2048));
  const copied = await syncObjects({ flow: 'uploads', mode: 'copy', source, destination, transfers: 8, checkers: 8 });
  t.equal(copied.failed, 0);
  const r2 = () => verifyLatestSample({ source, destination, sampleSize: 10 });
  const good = await r2();
  t.equal(good.status, 'pass', good.reason);
  t.same(good.measurements, { sampled: 10, matched: 10, ratio: 1 });

  const sample = good.evidence.sample as Array<{ key: string }>;
  const victim = sample[3]!.key;
  const stored = destination.objects.get(victim)!;
  const bytes = Buffer.from(stored.bytes);
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  // Same size, same metadata, same headers — even the old MD5, which now lies: only hashing the bytes can tell.
  destination.objects.set(victim, { info: stored.info, bytes });
  t.equal((await destination.head(victim))?.size, stored.info.size, 'the size is unchanged');
  t.notSame(createHash('md5').update(bytes).digest('hex'), (await destination.head(victim))?.md5);

  const bad = await r2();
  t.equal(bad.status, 'fail', 'nine of ten is not enough: only 100 % passes');
  t.equal(bad.measurements.ratio, 0.9);
  t.match(bad.reason, victim, 'the corrupted object is named');
  const named = (bad.evidence.sample as Array<{ key: string; ok: boolean }>).filter((s) => !s.ok).map((s) => s.key);
  t.same(named, [victim], 'and only it');
});
