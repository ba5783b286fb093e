import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * ListObjects (V1 and V2) as real S3 answers it, read from s3rver's directory: s3rver's own
 * listing walks its directories in readdir order, so it lists `a/b` before `a` and its paging
 * drops or repeats keys. Here every key comes once, in UTF-8 byte order, with exact paging.
 *
 * s3rver keeps key `dir/name` as `<root>/<bucket>/dir/name._S3rver_object`, with the MD5 beside
 * it in `….md5`. A first page walks the part of the tree the prefix can reach (names only) and
 * keeps the sorted keys; later pages of the sequence slice that snapshot, and only the keys of
 * one page are stat'ed. Writes through the front drop the bucket's snapshots (`forget`).
 */

const OBJECT_SUFFIX = '._S3rver_object';
const UPLOADS_DIR = '._S3rver_uploads';
const MAX_KEYS = 1000;
/** Enough for several paging sequences at once (rclone lists with many checkers). */
const MAX_SNAPSHOTS = 32;
const NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** s3rver's built-in account, as it reports itself in owners. */
const OWNER = '<Owner><ID>123456789000</ID><DisplayName>S3rver</DisplayName></Owner>';

export interface ListRequest {
  v2: boolean;
  prefix: string;
  delimiter: string;
  /** As asked (S3 echoes it); at most 1000 are answered. */
  maxKeys: number;
  /** Only items after this one (start-after, marker or the continuation token's item). */
  after: string;
  /** A later page of a sequence (continuation token or marker): the snapshot may be reused. */
  continued: boolean;
  continuationToken?: string;
  startAfter?: string;
  marker?: string;
  urlEncoded: boolean;
  fetchOwner: boolean;
}

export interface ListProblem {
  problem: string;
}

/** Reads a GET Bucket query; a problem is S3's `InvalidArgument`. */
export function parseListRequest(query: URLSearchParams): ListRequest | ListProblem {
  const rawMaxKeys = query.get('max-keys') ?? String(MAX_KEYS);
  if (!/^\d{1,10}$/.test(rawMaxKeys) || Number(rawMaxKeys) > 2147483647) {
    return { problem: 'Provided max-keys not an integer or within integer range' };
  }
  const common = {
    prefix: query.get('prefix') ?? '',
    delimiter: query.get('delimiter') ?? '',
    maxKeys: Number(rawMaxKeys),
    urlEncoded: query.get('encoding-type') === 'url',
  };
  if (query.get('list-type') !== '2') {
    const marker = query.get('marker') ?? '';
    return { ...common, v2: false, after: marker, continued: marker !== '', marker, fetchOwner: true };
  }
  const startAfter = query.get('start-after') ?? undefined;
  const fetchOwner = query.get('fetch-owner') === 'true';
  const continuationToken = query.get('continuation-token') ?? undefined;
  if (continuationToken === undefined) {
    return { ...common, v2: true, after: startAfter ?? '', continued: false, startAfter, fetchOwner };
  }
  const after = Buffer.from(continuationToken, 'base64url').toString('utf8');
  if (continuationToken === '' || tokenOf(after) !== continuationToken) return { problem: 'The continuation token provided is incorrect' };
  return { ...common, v2: true, after, continued: true, continuationToken, startAfter, fetchOwner };
}

/** The opaque V2 continuation token: the last item of the page, base64url. */
function tokenOf(item: string): string {
  return Buffer.from(item, 'utf8').toString('base64url');
}

/** One object of a page, ETag as s3rver knows it (a plain MD5, hex). */
export interface ListedObject {
  key: string;
  size: number;
  /** Whole seconds, as s3rver's HEAD reports it. */
  lastModified: Date;
  md5: string;
}

export interface ListPage {
  objects: ListedObject[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last item (key or common prefix) the page holds, when truncated. */
  last?: string;
  /** KeyCount as answered, when a fault makes it lie; else the page's own count. */
  keyCount?: number;
}

/**
 * Listings that go wrong as a store's can, for the brakes of the clients that read them:
 * `truncated-without-token` says there is more but gives no way to it (V1: no NextMarker);
 * `miscounted` answers a KeyCount one more than the page holds; `restarts` forgets where a
 * continued listing was and answers its first page again.
 */
export const LISTING_FAULTS = ['truncated-without-token', 'miscounted', 'restarts'] as const;
export type ListingFault = (typeof LISTING_FAULTS)[number];

/** The listing fault a fault switch entry carries (its `listing` field), if any. */
export function listingFaultOf(fault: object | undefined): ListingFault | undefined {
  const listing = (fault as { listing?: unknown } | undefined)?.listing;
  return (LISTING_FAULTS as readonly unknown[]).includes(listing) ? (listing as ListingFault) : undefined;
}

/** The page as the fault would have it answered (`restarts` acts on the request, not here). */
export function faultyPage(page: ListPage, fault: ListingFault | undefined): ListPage {
  switch (fault) {
    case 'truncated-without-token':
      return { ...page, truncated: true, last: undefined };
    case 'miscounted':
      return { ...page, keyCount: page.objects.length + page.commonPrefixes.length + 1 };
    default:
      return page;
  }
}

export class S3Listings {
  /** `bucket/prefix` → the keys under that prefix, sorted; oldest first. */
  readonly #snapshots = new Map<string, string[]>();

  constructor(private readonly root: string) {}

  /** Undefined: no such bucket. */
  async page(bucket: string, q: ListRequest): Promise<ListPage | undefined> {
    const bucketDir = this.#bucketDir(bucket);
    if (!bucketDir) return undefined;
    const keys = await this.#keys(bucket, bucketDir, q);
    if (!keys) return undefined;
    const picked = selectPage(keys, q, Math.min(q.maxKeys, MAX_KEYS));
    const described = await Promise.all(picked.keys.map((key) => describe(bucketDir, key)));
    return {
      // A key deleted behind the front's back since the walk is simply gone.
      objects: described.filter((o): o is ListedObject => o !== undefined),
      commonPrefixes: picked.prefixes,
      truncated: picked.truncated,
      last: picked.truncated ? picked.last : undefined,
    };
  }

  /** Something in the bucket changed: the next page walks the store again. */
  forget(bucket: string): void {
    for (const id of this.#snapshots.keys()) if (id.startsWith(`${bucket}/`)) this.#snapshots.delete(id);
  }

  #bucketDir(bucket: string): string | undefined {
    if (bucket === '' || bucket === '.' || bucket === '..' || /[\\/]/.test(bucket)) return undefined;
    return path.join(this.root, bucket);
  }

  async #keys(bucket: string, bucketDir: string, q: ListRequest): Promise<string[] | undefined> {
    const id = `${bucket}/${q.prefix}`;
    const kept = q.continued ? this.#snapshots.get(id) : undefined;
    if (kept) return kept;
    const keys = await walkKeys(bucketDir, q.prefix);
    if (!keys) return undefined;
    keys.sort(compareUtf8);
    this.#snapshots.delete(id);
    this.#snapshots.set(id, keys);
    for (const oldest of this.#snapshots.keys()) {
      if (this.#snapshots.size <= MAX_SNAPSHOTS) break;
      this.#snapshots.delete(oldest);
    }
    return keys;
  }
}

/** Order of the UTF-8 encodings, without encoding: UTF-16 alone sorts U+E000–U+FFFF above astral characters. */
export function compareUtf8(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return utf8Rank(x) - utf8Rank(y);
  }
  return a.length - b.length;
}

/** Moves surrogates (astral characters, 4 UTF-8 bytes) above U+E000–U+FFFF (3 bytes). */
function utf8Rank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** Keys under `prefix`, unsorted; undefined when the bucket does not exist. */
async function walkKeys(bucketDir: string, prefix: string): Promise<string[] | undefined> {
  if (!(await stat(bucketDir).then((s) => s.isDirectory(), () => false))) return undefined;
  const keys: string[] = [];
  // Start in the deepest directory the prefix names. s3rver's path.join folds `.`, `..` and
  // empty segments, so no stored key holds one.
  const top = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  if (top.split('/').slice(0, -1).some((segment) => segment === '' || segment === '.' || segment === '..')) return keys;
  const visit = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(bucketDir, rel), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
      throw err;
    });
    const subdirs: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory()) {
        const sub = `${rel}${entry.name}/`;
        if (!(rel === '' && entry.name === UPLOADS_DIR) && (sub.startsWith(prefix) || prefix.startsWith(sub))) subdirs.push(sub);
      } else if (entry.name.endsWith(OBJECT_SUFFIX)) {
        const key = rel + entry.name.slice(0, -OBJECT_SUFFIX.length);
        if (key.startsWith(prefix)) keys.push(key);
      }
    }
    await Promise.all(subdirs.map(visit));
  };
  await visit(top);
  return keys;
}

/** Keys and common prefixes after `q.after`; each common prefix counts as one item, as in S3. */
function selectPage(keys: readonly string[], q: ListRequest, limit: number) {
  const picked = { keys: [] as string[], prefixes: [] as string[], truncated: false, last: undefined as string | undefined };
  if (limit === 0) return picked;
  for (let i = firstAfter(keys, q.after); i < keys.length; i++) {
    const key = keys[i]!;
    const at = q.delimiter === '' ? -1 : key.indexOf(q.delimiter, q.prefix.length);
    const item = at < 0 ? key : key.slice(0, at + q.delimiter.length);
    // The keys rolled up into a common prefix already given (on this page or an earlier one).
    if (at >= 0 && (item === picked.last || compareUtf8(item, q.after) <= 0)) continue;
    if (picked.keys.length + picked.prefixes.length === limit) {
      picked.truncated = true;
      break;
    }
    (at < 0 ? picked.keys : picked.prefixes).push(item);
    picked.last = item;
  }
  return picked;
}

function firstAfter(sorted: readonly string[], after: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareUtf8(sorted[mid]!, after) <= 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * Synchronous on purpose: through the thread pool, a page's 1000 stats and reads took 250 ms
 * here; in line they take 30 ms, a pause the other fronts can bear.
 */
async function describe(bucketDir: string, key: string): Promise<ListedObject | undefined> {
  const file = path.join(bucketDir, key + OBJECT_SUFFIX);
  const info = statSync(file, { throwIfNoEntry: false });
  if (!info) return undefined;
  let md5: string;
  try {
    md5 = readFileSync(`${file}.md5`, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    // s3rver writes the MD5 after the bytes: hash them as its HEAD would (without storing it).
    const hashed = await md5Of(file);
    if (hashed === undefined) return undefined;
    md5 = hashed;
  }
  return { key, size: info.size, lastModified: new Date(Math.floor(info.mtimeMs / 1000) * 1000), md5 };
}

async function md5Of(file: string): Promise<string | undefined> {
  const hash = createHash('md5');
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return hash.digest('hex');
}

/** The ListBucketResult document; `etagOf` gives the ETag (unquoted) S3 would show for an object. */
export function listingXml(bucket: string, q: ListRequest, page: ListPage, etagOf: (object: ListedObject) => string): string {
  /** S3 url-encodes (when asked) keys, prefixes, delimiters and markers; never counts or dates. */
  const el = (name: string, value: string | number | boolean | undefined, encode = false) => {
    if (value === undefined) return '';
    const shown = encode && q.urlEncoded ? encodeURIComponent(String(value)) : String(value);
    return `<${name}>${xmlEscape(shown)}</${name}>`;
  };
  const owner = q.fetchOwner ? OWNER : '';
  const contents = page.objects.map(
    (o) =>
      `<Contents>${el('Key', o.key, true)}${el('LastModified', o.lastModified.toISOString())}` +
      `<ETag>&quot;${xmlEscape(etagOf(o))}&quot;</ETag>${el('Size', o.size)}${owner}<StorageClass>STANDARD</StorageClass></Contents>`,
  );
  const prefixes = page.commonPrefixes.map((p) => `<CommonPrefixes>${el('Prefix', p, true)}</CommonPrefixes>`);
  const paging = q.v2
    ? el('KeyCount', page.keyCount ?? page.objects.length + page.commonPrefixes.length) +
      el('ContinuationToken', q.continuationToken) +
      el('NextContinuationToken', page.last === undefined ? undefined : tokenOf(page.last)) +
      el('StartAfter', q.startAfter, true)
    : el('Marker', q.marker ?? '', true) + (q.delimiter === '' ? '' : el('NextMarker', page.last, true));
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${NAMESPACE}">` +
    el('Name', bucket) + el('Prefix', q.prefix, true) + el('Delimiter', q.delimiter === '' ? undefined : q.delimiter, true) +
    el('MaxKeys', q.maxKeys) + el('EncodingType', q.urlEncoded ? 'url' : undefined) + paging +
    el('IsTruncated', page.truncated) + contents.join('') + prefixes.join('') +
    '</ListBucketResult>'
  );
}

const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ENTITIES[c]!);
}
