/** The integrity proofs R1 (site mirror) and R2 (latest uploads) against the lab twin. */
import t from 'tap';
import { createHash } from 'node:crypto';
import { withLab } from '../helpers/lab.js';
import { adaptersFor, labSdk } from '../contract/lab-adapters.js';
import { readSmall } from '../../src/adapters/digest.js';
import { syncObjects } from '../../src/sync/objects.js';
import { verifyLatestSample, verifyMirror } from '../../src/sync/verify.js';

const lab = await withLab(t, { empty: false });
const sdk = labSdk(t, lab);
const { objects } = adaptersFor(t, lab, () => undefined);
const { websiteUrl, containers } = lab.endpoints.azure.blob;

const mirrorSite = () => syncObjects({ flow: 'site', mode: 'mirror', source: objects.awsSite, destination: objects.azureSite, transfers: 8, checkers: 8 });
const r1 = () => verifyMirror({ source: objects.awsSite, destination: objects.azureSite, websiteUrl });
const site = sdk.blob.getContainerClient(containers.site);

t.test('R1: passes after a mirror, fails naming what is missing', async (t) => {
  const synced = await mirrorSite();
  t.equal(synced.failed, 0);
  const good = await r1();
  t.equal(good.status, 'pass', good.reason);
  t.ok((good.measurements.pages ?? 0) >= 5, 'the pages were asked for on the website');
  t.equal(good.measurements.pages, good.measurements.pagesOk);

  await site.getBlobClient('css/site.css').delete();
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
  const page = 'blog/2026/post-1.html';
  const url = new URL(page, websiteUrl.endsWith('/') ? websiteUrl : `${websiteUrl}/`);
  t.equal((await fetch(url)).status, 200, 'the page is served before');
  await site.getBlobClient(page).delete();
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
  const copied = await syncObjects({ flow: 'uploads', mode: 'copy', source: objects.awsUploads, destination: objects.azureUploads, transfers: 8, checkers: 8 });
  t.equal(copied.failed, 0);
  const r2 = () => verifyLatestSample({ source: objects.awsUploads, destination: objects.azureUploads, sampleSize: 10 });
  const good = await r2();
  t.equal(good.status, 'pass', good.reason);
  t.same(good.measurements, { sampled: 10, matched: 10, ratio: 1 });

  const sample = good.evidence.sample as Array<{ key: string }>;
  const victim = sample[3]!.key;
  const blob = sdk.blob.getContainerClient(containers.uploads).getBlockBlobClient(victim);
  const props = await blob.getProperties();
  const bytes = await readSmall((await blob.download()).readableStreamBody!);
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  // Same size, same metadata, same headers — even the old Content-MD5, which now lies: only
  // hashing the bytes can tell. Staging a block and committing it is how a lying MD5 gets in.
  const id = Buffer.from('corrupt').toString('base64');
  await blob.stageBlock(id, bytes, bytes.length);
  await blob.commitBlockList([id], {
    metadata: props.metadata,
    blobHTTPHeaders: { blobContentType: props.contentType, blobCacheControl: props.cacheControl, blobContentMD5: props.contentMD5 },
  });
  t.equal((await blob.getProperties()).contentLength, props.contentLength, 'the size is unchanged');
  t.notSame(createHash('md5').update(bytes).digest('hex'), Buffer.from(props.contentMD5 ?? []).toString('hex'));

  const bad = await r2();
  t.equal(bad.status, 'fail', 'nine of ten is not enough: only 100 % passes');
  t.equal(bad.measurements.ratio, 0.9);
  t.match(bad.reason, victim, 'the corrupted object is named');
  const named = (bad.evidence.sample as Array<{ key: string; ok: boolean }>).filter((s) => !s.ok).map((s) => s.key);
  t.same(named, [victim], 'and only it');
});
