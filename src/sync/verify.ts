/**
 * Integrity proofs of the objects flows, each a Result outcome with counts, ratio and every
 * mismatch named (up to a limit; the counts are always exact).
 *   R1 (site):    object count and total bytes equal on both sides, and every `.html` page
 *                 answers 200 on the static-website endpoint.
 *   R2 (uploads): the latest N uploads by LastModified have equal MD5s of their bytes on both
 *                 sides — computed from the bytes, never taken from an ETag. Only 100 % passes.
 */
import { createHash } from 'node:crypto';
import type { ObjectInfo, ObjectStore } from '../core/ports.js';
import { describeError, fail, pass, type Outcome } from '../core/result.js';
import { SafetyError, withRetry } from '../core/retry.js';
import { walkStores } from './merge.js';
import { Pool } from './pool.js';

const MAX_NAMED = 50;

export interface MirrorVerifyOptions {
  source: ObjectStore;
  destination: ObjectStore;
  /** Static-website base URL; when set, every `.html` object must answer 200 there. */
  websiteUrl?: string;
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * The address of a page on the static website. A key is data, not an address: each segment
 * is percent-encoded and appended under the website's own path, never resolved against it,
 * so `//169.254.169.254/x.html` or `http://evil/x.html` stay on the website. A `.` or `..`
 * segment would be resolved away by any client (percent-encoded too): such a key has no page
 * of its own, and asking for it is refused.
 */
export function pageUrl(base: string, key: string): string {
  const root = new URL(base);
  root.search = '';
  root.hash = '';
  if (!root.pathname.endsWith('/')) root.pathname += '/';
  const path = key.split('/').map(encodeURIComponent).join('/');
  const url = new URL(root.href + path);
  if (url.origin !== root.origin || url.pathname !== root.pathname + path) throw new SafetyError(`the key "${key}" does not name a page under ${root.href}: not asked for`, { key, website: root.href });
  return url.href;
}

/**
 * One page's status, without following redirects: the website answers a page itself, and a
 * redirect (to another origin above all) is a page that does not answer 200.
 */
async function pageStatus(url: string, signal?: AbortSignal): Promise<number | string> {
  const res = await withRetry(async () => {
    const r = await fetch(url, { signal, redirect: 'manual' });
    if (r.status === 503 || r.status === 429) throw Object.assign(new Error(`HTTP ${r.status}`), { statusCode: r.status });
    return r;
  }, { signal });
  await res.body?.cancel();
  const location = res.headers.get('location');
  return location !== null && res.status >= 300 && res.status < 400 ? `${res.status} redirect to ${location}` : res.status;
}

export async function verifyMirror(opts: MirrorVerifyOptions): Promise<Outcome> {
  const { source, destination, signal } = opts;
  const totals = { sourceObjects: 0, sourceBytes: 0, destinationObjects: 0, destinationBytes: 0, pages: 0, pagesOk: 0 };
  const missing: string[] = [];
  const extra: string[] = [];
  const sizeDiffers: Array<{ key: string; source: number; destination: number }> = [];
  const badPages: Array<{ key: string; status: number | string }> = [];
  let missingCount = 0;
  let extraCount = 0;
  let sizeDiffCount = 0;
  const pool = new Pool(opts.concurrency ?? 8);

  const checkPage = (key: string) =>
    pool.submit(async () => {
      let status: number | string;
      try {
        status = await pageStatus(pageUrl(opts.websiteUrl!, key), signal);
      } catch (err) {
        status = describeError(err);
      }
      if (status === 200) totals.pagesOk++;
      else if (badPages.length < MAX_NAMED) badPages.push({ key, status });
    });

  await walkStores(source, destination, async (pair) => {
    if (pair.kind !== 'destination-only') {
      totals.sourceObjects++;
      totals.sourceBytes += pair.source.size;
      // Every source page is asked for, present at the destination or not: the website's own
      // answer (404 for a missing page) is the evidence R1 wants.
      if (opts.websiteUrl && pair.source.key.toLowerCase().endsWith('.html')) {
        totals.pages++;
        await checkPage(pair.source.key);
      }
    }
    if (pair.kind !== 'source-only') {
      totals.destinationObjects++;
      totals.destinationBytes += pair.destination.size;
    }
    if (pair.kind === 'source-only') {
      if (missing.length < MAX_NAMED) missing.push(pair.source.key);
      missingCount++;
    } else if (pair.kind === 'destination-only') {
      if (extra.length < MAX_NAMED) extra.push(pair.destination.key);
      extraCount++;
    } else if (pair.source.size !== pair.destination.size) {
      if (sizeDiffers.length < MAX_NAMED) sizeDiffers.push({ key: pair.source.key, source: pair.source.size, destination: pair.destination.size });
      sizeDiffCount++;
    }
  }, { signal });
  await pool.drain();

  const problems: string[] = [];
  // An empty listing beside a full destination is a wrong bucket or a lost permission: said first, plainly.
  if (totals.sourceObjects === 0 && totals.destinationObjects > 0) problems.push(`${source.name} lists no objects while ${destination.name} holds ${totals.destinationObjects}: wrong bucket, credentials or policy?`);
  else if (totals.sourceObjects !== totals.destinationObjects) problems.push(`${totals.destinationObjects} objects at ${destination.name} but ${totals.sourceObjects} at ${source.name}`);
  if (totals.sourceBytes !== totals.destinationBytes) problems.push(`${totals.destinationBytes} bytes at ${destination.name} but ${totals.sourceBytes} at ${source.name}`);
  if (missingCount) problems.push(`${missingCount} missing at the destination (first: ${missing[0]})`);
  if (extraCount) problems.push(`${extraCount} not in the source (first: ${extra[0]})`);
  if (sizeDiffCount) problems.push(`${sizeDiffCount} with a different size (first: ${sizeDiffers[0]!.key})`);
  const pagesBad = totals.pages - totals.pagesOk;
  if (opts.websiteUrl && pagesBad > 0) problems.push(`${pagesBad} of ${totals.pages} pages do not answer 200 on ${opts.websiteUrl} (first: ${badPages[0]?.key} answers ${badPages[0]?.status})`);

  const agreeing = totals.sourceObjects - missingCount - sizeDiffCount;
  const ratio = totals.sourceObjects === 0 ? (problems.length === 0 ? 1 : 0) : agreeing / totals.sourceObjects;
  const evidence = { source: source.name, destination: destination.name, ...totals, missing, extra, sizeDiffers, badPages };
  const measurements = { ...totals, missing: missingCount, extra: extraCount, sizeDiffers: sizeDiffCount, ratio };
  if (problems.length > 0) return fail(problems.join('; '), evidence, measurements);
  if (totals.sourceObjects === 0) return pass(`both sides are empty: ${source.name} and ${destination.name} hold no objects`, evidence, measurements);
  return pass(`${totals.sourceObjects} objects and ${totals.sourceBytes} bytes equal on both sides` + (opts.websiteUrl ? `; all ${totals.pages} pages answer 200` : ''), evidence, measurements);
}

/** Keeps the newest `n` by lastModified (ties by key) while a listing streams past. */
export function newestTracker(n: number) {
  const kept: ObjectInfo[] = [];
  const older = (a: ObjectInfo, b: ObjectInfo) => a.lastModified.getTime() - b.lastModified.getTime() || (a.key < b.key ? 1 : -1);
  return {
    offer(item: ObjectInfo) {
      if (kept.length < n) kept.push(item);
      else if (older(kept[0]!, item) < 0) kept[0] = item;
      else return;
      kept.sort(older);
    },
    newest: () => [...kept].reverse(),
  };
}

async function md5Of(store: ObjectStore, key: string, signal?: AbortSignal): Promise<string | undefined> {
  return withRetry(async () => {
    const found = await store.head(key, signal);
    if (!found) return undefined;
    const { body } = await store.get(key, signal);
    const hash = createHash('md5');
    for await (const chunk of body) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }, { signal });
}

export interface SampleVerifyOptions {
  source: ObjectStore;
  destination: ObjectStore;
  sampleSize: number;
  signal?: AbortSignal;
}

export async function verifyLatestSample(opts: SampleVerifyOptions): Promise<Outcome> {
  const { source, destination, signal } = opts;
  const tracker = newestTracker(opts.sampleSize);
  for await (const item of source.list({ signal })) tracker.offer(item);
  const sample = tracker.newest();
  const results = await Promise.all(
    sample.map(async (item) => {
      try {
        const [a, b] = await Promise.all([md5Of(source, item.key, signal), md5Of(destination, item.key, signal)]);
        return { key: item.key, lastModified: item.lastModified.toISOString(), sourceMd5: a, destinationMd5: b, ok: a !== undefined && a === b };
      } catch (err) {
        return { key: item.key, lastModified: item.lastModified.toISOString(), error: describeError(err), ok: false };
      }
    }),
  );
  const bad = results.filter((r) => !r.ok);
  const ratio = sample.length === 0 ? 1 : (sample.length - bad.length) / sample.length;
  const measurements = { sampled: sample.length, matched: sample.length - bad.length, ratio };
  const evidence = { source: source.name, destination: destination.name, sample: results };
  if (sample.length === 0) {
    // An empty source beside a full destination is a wrong bucket or a missing permission, not a proof.
    for await (const held of destination.list({ signal, pageSize: 1 })) {
      return fail(`${source.name} lists no objects while ${destination.name} holds some (${held.key}, …): wrong bucket, prefix or permission?`, evidence, measurements);
    }
    return pass(`${source.name} and ${destination.name} both hold no objects: nothing to sample`, evidence, measurements);
  }
  if (bad.length === 0) return pass(`the latest ${sample.length} objects have equal MD5s on both sides`, evidence, measurements);
  const named = bad.map((r) => `${r.key} (${'error' in r ? r.error : r.destinationMd5 === undefined ? 'missing at the destination' : `MD5 ${r.destinationMd5} ≠ ${r.sourceMd5}`})`);
  return fail(`${bad.length} of the latest ${sample.length} objects differ: ${named.join(', ')}`, evidence, measurements);
}
