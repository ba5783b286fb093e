/**
 * The objects engine's decisions on stores held in memory, listing as S3 and Blob do: what a
 * change, a delete or an error does to a run, keys the destination cannot hold, and a run over
 * thousands of objects. The wire (headers, metadata names, multipart, real key orders, injected
 * faults) is proven on the twin in objects.test.ts and key-order.test.ts.
 */
import t from 'tap';
import { createHash, randomBytes } from 'node:crypto';
import { ContainerClient } from '@azure/storage-blob';
import { BlobObjectStore } from '../../src/adapters/azure/blob.js';
import type { SyncMode } from '../../src/core/sync-summary.js';
import { syncObjects, type ObjectSyncOptions } from '../../src/sync/objects.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';

const md5 = (bytes: Buffer | string) => createHash('md5').update(bytes).digest('hex');

/** A bucket as S3 lists it, a container as Blob lists it. */
function s3(name: string) {
  return new MemoryObjectStore(`s3://${name}`, 'utf8', { listsMetadata: false });
}
function blob(name: string, opts: { rejectKey?: (key: string) => string | undefined } = {}) {
  return new MemoryObjectStore(`blob://${name}`, 'utf16', { listsMetadata: true, ...opts });
}

function sync(source: MemoryObjectStore, destination: MemoryObjectStore, mode: SyncMode, extra: Partial<ObjectSyncOptions> = {}) {
  return syncObjects({ flow: 'test', mode, source, destination, transfers: 8, checkers: 8, ...extra });
}

const bytesAt = (store: MemoryObjectStore, key: string) => store.objects.get(key)?.bytes;

/** A site of a few pages mirrored once. */
async function mirroredSite() {
  const source = s3('site');
  const destination = blob('$web');
  for (const key of ['index.html', 'css/site.css', 'tricky/with space.txt', 'tricky/hash#sign.txt', 'tricky/plus+sign.txt', 'tricky/日本/語.txt', 'tricky/emoji-😀.txt']) {
    source.add(key, `body of ${key}\n`.repeat(7));
  }
  const first = await sync(source, destination, 'mirror');
  if (first.copied !== source.objects.size || first.failed > 0) throw new Error(`the first mirror did not copy everything: ${JSON.stringify(first)}`);
  return { source, destination };
}

t.test('one changed source object: exactly one copied', async (t) => {
  const { source, destination } = await mirroredSite();
  const key = 'tricky/with space.txt';
  const changed = Buffer.from('changed, and the same length as before? no: longer than before, surely.\n'.repeat(3));
  source.add(key, changed);
  const summary = await sync(source, destination, 'mirror');
  t.equal(summary.copied, 1);
  t.equal(summary.unchanged, summary.seen - 1);
  t.equal(md5(bytesAt(destination, key)!), md5(changed));

  // Same size, different bytes: only the fingerprint can tell.
  const sameSize = Buffer.from(changed.toString().replace('changed', 'CHANGED'));
  source.add(key, sameSize);
  const again = await sync(source, destination, 'mirror');
  t.equal(again.copied, 1, 'a same-size change is still seen');
  t.equal(md5(bytesAt(destination, key)!), md5(sameSize));
});

t.test('mirror deletes what left the source; copy mode keeps it', async (t) => {
  const { source, destination } = await mirroredSite();
  source.objects.delete('tricky/hash#sign.txt');
  const summary = await sync(source, destination, 'mirror');
  t.equal(summary.deleted, 1);
  t.equal(summary.failed, 0);
  t.notOk(destination.objects.has('tricky/hash#sign.txt'), 'gone from $web');

  const uploads = s3('uploads');
  const uploaded = blob('uploads');
  for (let i = 0; i < 60; i++) uploads.add(`images/${i}.png`, randomBytes(100));
  const first = await sync(uploads, uploaded, 'copy');
  t.equal(first.failed, 0);
  t.equal(first.copied, 60, 'the uploads copied');
  const victim = 'gone-from-s3.png';
  uploads.add(victim, randomBytes(1000));
  t.equal((await sync(uploads, uploaded, 'copy')).copied, 1);
  uploads.objects.delete(victim);
  const after = await sync(uploads, uploaded, 'copy');
  t.equal(after.deleted, 0);
  t.equal(after.keptAtDestination, 1);
  t.ok(uploaded.objects.has(victim), 'a deleted upload stays in the uploads container');
});

t.test('deletes are withheld when the pass had an error', async (t) => {
  const { source, destination } = await mirroredSite();
  const doomed = 'tricky/plus+sign.txt';
  source.objects.delete(doomed);
  // A source object whose recorded MD5 does not match its bytes: a real, per-object integrity failure.
  const liar = 'tricky/lying-md5.txt';
  source.add(liar, 'these bytes are not what the metadata says', { md5: md5('other bytes') });
  const summary = await sync(source, destination, 'mirror');
  t.equal(summary.failed, 1);
  t.equal(summary.failures[0]?.key, liar, 'the failure is named');
  t.equal(summary.failures[0]?.failureClass, 'integrity');
  t.ok(summary.deletionsWithheld > 0, 'deletions withheld');
  t.equal(summary.deleted, 0);
  t.ok(destination.objects.has(doomed), 'nothing deleted');
  t.notOk(destination.objects.has(liar), 'the bad bytes were not committed');

  source.objects.delete(liar);
  const clean = await sync(source, destination, 'mirror');
  t.equal(clean.failed, 0);
  t.equal(clean.deleted, 1, 'an error-free pass deletes');
  t.notOk(destination.objects.has(doomed));
});

t.test('keys Blob cannot hold are reported by name with the reason', async (t) => {
  // Blob's naming rules as its adapter states them; a client is built, nothing is asked of it.
  const rules = new BlobObjectStore(new ContainerClient('https://account.blob.core.windows.net/uploads'));
  const source = s3('uploads');
  const destination = blob('uploads', { rejectKey: (key) => rules.rejectKey(key) });
  const dotted = 'ends-with-a-dot.';
  const long = `long/${Array.from({ length: 7 }, (_, i) => String(i).repeat(150)).join('/')}.txt`;
  t.ok(long.length > 1024);
  for (const key of [dotted, long, 'fine.txt']) source.add(key, `body of ${key.slice(0, 20)}`);
  const summary = await sync(source, destination, 'mirror');
  t.equal(summary.copied, 1);
  t.equal(summary.failed, 0);
  t.equal(summary.rejected, 2, 'never silently skipped');
  const reasons = Object.fromEntries(summary.rejections.map((r) => [r.key, r.reason]));
  t.match(reasons[dotted], /end with "\."/);
  t.match(reasons[long], /1024/);
});

t.test('3000 small objects: all copied, then nothing on the second run', async (t) => {
  const source = s3('many');
  const destination = blob('many');
  const n = 3000;
  for (let i = 0; i < n; i++) source.add(`many/${String(i % 37).padStart(2, '0')}/${i}-é.txt`);
  const first = await sync(source, destination, 'mirror', { transfers: 16, checkers: 16 });
  t.equal(first.failed, 0);
  t.equal(first.copied, n);
  const second = await sync(source, destination, 'mirror', { transfers: 16, checkers: 16 });
  t.equal(second.copied, 0);
  t.equal(second.unchanged, n);
});
