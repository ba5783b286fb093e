/**
 * The site mirror's proof (R1) where it could lie or be led astray: an empty comparison, and
 * page keys that would point the website check elsewhere (SSRF). Stores in memory, websites
 * on 127.0.0.1.
 */
import t, { type Test } from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pageUrl, verifyMirror } from '../../src/sync/verify.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';

t.test('an empty source beside a full destination fails, naming the empty listing', async (t) => {
  const source = new MemoryObjectStore('s3://site');
  const destination = new MemoryObjectStore('blob://$web');
  destination.add('index.html');
  destination.add('css/site.css');
  const result = await verifyMirror({ source, destination });
  t.equal(result.status, 'fail');
  t.match(result.reason, /^s3:\/\/site lists no objects while blob:\/\/\$web holds 2: wrong bucket, credentials or policy\?/);
  t.equal(result.measurements.ratio, 0, 'no integrity to report');
});

t.test('both sides empty passes, and says so plainly', async (t) => {
  const result = await verifyMirror({ source: new MemoryObjectStore('s3://site'), destination: new MemoryObjectStore('blob://$web') });
  t.equal(result.status, 'pass');
  t.equal(result.reason, 'both sides are empty: s3://site and blob://$web hold no objects');
});

const HOSTILE = ['//169.254.169.254/x.html', 'http://evil.example/x.html', '/absolute/x.html', 'a\\..\\x.html', '?q=1#x.html', '%2e%2e/x.html'];

t.test('pageUrl keeps every key under the website: origin and path', async (t) => {
  const base = 'https://account.z6.web.core.windows.net/site';
  for (const key of HOSTILE) {
    const url = new URL(pageUrl(base, key));
    t.equal(url.origin, 'https://account.z6.web.core.windows.net', `${key}: the website's origin`);
    t.ok(url.pathname.startsWith('/site/'), `${key}: under the website's path (${url.pathname})`);
  }
  t.equal(pageUrl(base, '//169.254.169.254/x.html'), 'https://account.z6.web.core.windows.net/site///169.254.169.254/x.html');
  t.equal(pageUrl(`${base}/`, 'blog/2026/a b#c?.html'), 'https://account.z6.web.core.windows.net/site/blog/2026/a%20b%23c%3F.html');
  for (const key of ['../x.html', 'a/../../x.html', './x.html', 'a/./x.html']) {
    t.throws(() => pageUrl(base, key), { name: 'SafetyError', message: /does not name a page under/ }, `${key}: refused, not resolved`);
  }
});

/** A server on 127.0.0.1 that records every request it gets. */
async function recordingServer(t: Test, answer: (path: string) => { status: number; location?: string }): Promise<{ origin: string; paths: string[] }> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const { status, location } = answer(req.url ?? '');
    res.writeHead(status, location ? { location } : {}).end('page');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

t.test('the website check asks nothing outside the website, and follows no redirect', async (t) => {
  const elsewhere = await recordingServer(t, () => ({ status: 200 }));
  const website = await recordingServer(t, (path) =>
    path.endsWith('/away.html') ? { status: 302, location: `${elsewhere.origin}/stolen` }
      : path.endsWith('/moved.html') ? { status: 301, location: '/site/index.html' }
        : { status: 200 });
  const source = new MemoryObjectStore('s3://site');
  const destination = new MemoryObjectStore('blob://$web');
  const keys = [...HOSTILE, `//127.0.0.1:${new URL(elsewhere.origin).port}/x.html`, '../x.html', 'index.html', 'away.html', 'moved.html'];
  for (const key of keys) {
    source.add(key);
    destination.add(key);
  }
  const result = await verifyMirror({ source, destination, websiteUrl: `${website.origin}/site` });

  t.same(elsewhere.paths, [], 'not one request left the website');
  t.ok(website.paths.length > 0 && website.paths.every((path) => path.startsWith('/site/')), `every request under /site/: ${JSON.stringify(website.paths)}`);
  t.equal(result.status, 'fail');
  const bad = Object.fromEntries((result.evidence.badPages as Array<{ key: string; status: unknown }>).map((p) => [p.key, p.status]));
  t.same(bad['away.html'], `302 redirect to ${elsewhere.origin}/stolen`, 'a redirect elsewhere is a failed page');
  t.same(bad['moved.html'], '301 redirect to /site/index.html', 'a redirect on the website is not a 200 either');
  t.match(bad['../x.html'], /does not name a page under/, 'a key that would leave the path is not asked for');
  t.notOk('index.html' in bad, 'a plain page answers 200');
  t.match(result.reason, /pages do not answer 200/);
});
