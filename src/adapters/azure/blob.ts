/**
 * Azure Blob Storage as an ObjectStore.
 *
 * Puts stage blocks themselves (each with its own transactional MD5) and commit the block
 * list with every header, the user metadata and the Content-MD5 computed while streaming, in
 * one request. `uploadStream` would commit first and leave the MD5 to a later
 * `setHTTPHeaders`: a window (or, after a crash, a blob) without the MD5, and — when the caller
 * announced an MD5 — the wrong bytes already committed over the good version before the
 * mismatch is seen. Staging ourselves lets the digest refuse before anything is committed.
 * Bodies that fit in one block go in one Put Blob whose MD5 the service checks itself.
 */
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream';
import { BlobSASPermissions, type BlobHTTPHeaders, type BlockBlobClient, type ContainerClient } from '@azure/storage-blob';
import { NotFoundError } from '../../core/errors.js';
import { withRetry } from '../../core/retry.js';
import type { ContentHeaders, ListOptions, ObjectInfo, ObjectStore, PutOptions } from '../../core/ports.js';
import { DigestingStream } from '../digest.js';
import { ListingWalk } from '../listing.js';
import { conditionOf, underCondition, type ConflictKind, type WriteCondition } from '../write-conditions.js';
import { withIdleTimeout } from '../stall.js';

const MAX_NAME_LENGTH = 1024;
const MAX_SEGMENTS = 254;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const CONTROL = /[\u0000-\u001F\u007F-\u009F]/u;
const NOT_CHARACTERS = /[\uE000-\uF8FF\uFFFE\uFFFF\u{F0000}-\u{10FFFF}]/u;

export interface BlobStoreOptions {
  /** Bytes per staged block; bodies up to this size go in one Put Blob. */
  blockSize?: number;
  /** Blocks in flight at once: memory is bounded by (concurrency + 1) × blockSize. */
  concurrency?: number;
  /** A download body that sends nothing for this long fails with a TimeoutError: the SDK bounds only the wait for the headers. */
  idleTimeoutMs?: number;
}

// ------------------------------------------------------------------ metadata names

/**
 * Azure metadata names must be C# identifiers; S3's may hold `-`, `.` and more. A name that
 * is an identifier already is stored as is. Any other — and any starting with the marker, so
 * decoding is never ambiguous — is stored as `drs_x_` followed by the name with every
 * character outside [a-z0-9] written `_` + two lower-case hex digits per UTF-8 byte:
 * `content-type` → `drs_x_content_2dtype`. Reading decodes it back, so S3 → Blob → S3 is exact.
 */
export const ENCODED_METADATA_MARKER = 'drs_x_';
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function encodeMetadataName(name: string): string {
  if (IDENTIFIER.test(name) && !name.toLowerCase().startsWith(ENCODED_METADATA_MARKER)) return name;
  let out = ENCODED_METADATA_MARKER;
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[a-z0-9]/.test(c) ? c : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export function decodeMetadataName(stored: string): string {
  const name = stored.toLowerCase();
  if (!name.startsWith(ENCODED_METADATA_MARKER)) return name;
  const body = name.slice(ENCODED_METADATA_MARKER.length);
  if (!/^(?:[a-z0-9]|_[0-9a-f]{2})*$/.test(body)) return name;
  const bytes = body.match(/_[0-9a-f]{2}|[a-z0-9]/g)?.map((t) => (t.length === 3 ? parseInt(t.slice(1), 16) : t.charCodeAt(0))) ?? [];
  return Buffer.from(bytes).toString('utf8');
}

function encodeMetadata(metadata: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [encodeMetadataName(k), v]));
}

function decodeMetadata(metadata: Record<string, string> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([k, v]) => [decodeMetadataName(k), v]));
}

// ------------------------------------------------------------------ helpers

interface BlobProperties extends ContentHeaders {
  contentLength?: number;
  contentMD5?: Uint8Array;
  etag?: string;
  lastModified?: Date;
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number })?.statusCode === 404;
}

/**
 * Blob Storage's refusals of a conditional write: 412 ConditionNotMet; 409 BlobAlreadyExists
 * (If-None-Match * on a blob that exists); 404 an If-Match whose blob is gone.
 */
function conflictKind(error: unknown, condition: WriteCondition): ConflictKind | undefined {
  const err = error as { statusCode?: number; code?: string };
  if (err?.statusCode === 412) return 'refused';
  if (err?.statusCode === 409 && err.code === 'BlobAlreadyExists') return 'refused';
  if ('ifMatch' in condition && err?.statusCode === 404 && err.code === 'BlobNotFound') return 'gone';
  return undefined;
}

function blobHeaders(h: ContentHeaders, md5: Buffer): BlobHTTPHeaders {
  return {
    blobContentType: h.contentType,
    blobCacheControl: h.cacheControl,
    blobContentEncoding: h.contentEncoding,
    blobContentDisposition: h.contentDisposition,
    blobContentMD5: md5,
  };
}

/** The body cut into blocks of exactly `size` bytes (the last one shorter). */
async function* blocksOf(stream: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (let chunk of stream) {
    while (length + chunk.length >= size) {
      const take = size - length;
      parts.push(chunk.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      length = 0;
      chunk = chunk.subarray(take);
    }
    if (chunk.length > 0) {
      parts.push(chunk);
      length += chunk.length;
    }
  }
  if (length > 0) yield Buffer.concat(parts);
}

const md5Of = (bytes: Buffer) => createHash('md5').update(bytes).digest();
/** Block ids must all have the same length within a blob. */
const blockId = (index: number) => Buffer.from(`block-${String(index).padStart(8, '0')}`).toString('base64');

// ------------------------------------------------------------------ the store

export class BlobObjectStore implements ObjectStore {
  readonly name: string;
  readonly keyOrder = 'utf16' as const;
  readonly listsMetadata = true;
  private readonly blockSize: number;
  private readonly concurrency: number;
  private readonly idleTimeoutMs: number;

  constructor(private readonly container: ContainerClient, opts: BlobStoreOptions = {}) {
    this.name = `blob://${container.containerName}`;
    this.blockSize = opts.blockSize ?? 4 * 1024 * 1024;
    this.concurrency = opts.concurrency ?? 4;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
  }

  /** Azure's blob naming rules (learn.microsoft.com, "Naming and Referencing Containers, Blobs, and Metadata"). */
  rejectKey(key: string): string | undefined {
    if (key === '') return 'blob names cannot be empty';
    if (LONE_SURROGATE.test(key)) return 'the name holds a lone UTF-16 surrogate, which cannot travel in a URL';
    if (key.length > MAX_NAME_LENGTH) return `the name is ${key.length} characters long; blob names hold at most ${MAX_NAME_LENGTH}`;
    if (/[./]$/.test(key)) return 'blob names cannot end with "." or "/": URL handling strips them, so the blob would land under another name';
    if (key.includes('\\')) return 'Azure clients and tools turn "\\" into "/" in blob names (and signatures then mismatch), so the name would not survive';
    const segments = key.split('/');
    if (segments.length > MAX_SEGMENTS) return `the name has ${segments.length} path segments; blob names hold at most ${MAX_SEGMENTS}`;
    if (segments.some((s) => s === '.' || s === '..')) return '"." and ".." path segments are collapsed by URL normalisation, so the blob would land under another name';
    if (CONTROL.test(key)) return 'control characters (U+0000–U+001F, U+007F–U+009F) are not allowed in blob names';
    if (NOT_CHARACTERS.test(key)) return 'private-use code points and non-characters (such as U+E000, U+FFFF) are not valid in blob names';
    return undefined;
  }

  private info(key: string, props: BlobProperties, metadata: Record<string, string> | undefined): ObjectInfo {
    const info: ObjectInfo = { key, size: props.contentLength ?? 0, lastModified: props.lastModified ?? new Date(0), metadata: decodeMetadata(metadata) };
    if (props.contentMD5 && props.contentMD5.length === 16) info.md5 = Buffer.from(props.contentMD5).toString('hex');
    if (props.etag) info.etag = props.etag;
    if (props.contentType) info.contentType = props.contentType;
    if (props.cacheControl) info.cacheControl = props.cacheControl;
    if (props.contentEncoding) info.contentEncoding = props.contentEncoding;
    if (props.contentDisposition) info.contentDisposition = props.contentDisposition;
    return info;
  }

  /**
   * Page by page, each page retried on its own: one busy answer must not cost the whole walk.
   * A page is checked whole (ListingWalk) before any of it is yielded. The service echoes the
   * marker it was sent; a continued page without it is not known to continue anything.
   */
  async *list(opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const walk = new ListingWalk(this.name, this.keyOrder);
    let token: string | undefined;
    do {
      const page = await withRetry(async () => {
        const pages = this.container
          .listBlobsFlat({ prefix: opts.prefix, includeMetadata: true, abortSignal: opts.signal })
          .byPage({ maxPageSize: opts.pageSize, ...(token ? { continuationToken: token } : {}) });
        const next = await pages.next();
        return next.done ? undefined : next.value;
      }, { signal: opts.signal });
      if (!page) {
        if (token) throw walk.refuse('answered a continuation with no page');
        return;
      }
      if (token && page.marker !== token) throw walk.refuse('answered a continuation without the marker it was sent');
      const blobs = page.segment.blobItems;
      walk.page(blobs.map((blob) => blob.name));
      // Blob Storage has no "truncated" flag of its own: a marker is the only sign of more.
      token = walk.next(Boolean(page.continuationToken), page.continuationToken);
      for (const blob of blobs) yield this.info(blob.name, blob.properties, blob.metadata);
    } while (token);
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
    try {
      const props = await this.container.getBlobClient(key).getProperties({ abortSignal: signal });
      return this.info(key, props, props.metadata);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async get(key: string, signal?: AbortSignal): Promise<{ info: ObjectInfo; body: Readable }> {
    try {
      const res = await this.container.getBlobClient(key).download(0, undefined, { abortSignal: signal, maxRetryRequests: 5 });
      // The response's fields are getters: name them, a spread would copy nothing.
      const props: BlobProperties = {
        contentLength: res.contentLength,
        contentMD5: res.contentMD5 ?? res.blobContentMD5,
        etag: res.etag,
        lastModified: res.lastModified,
        contentType: res.contentType,
        cacheControl: res.cacheControl,
        contentEncoding: res.contentEncoding,
        contentDisposition: res.contentDisposition,
      };
      const info = this.info(key, props, res.metadata);
      return { info, body: withIdleTimeout(res.readableStreamBody as Readable, this.idleTimeoutMs, `${this.name}/${key}`) };
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(`${this.name}/${key} does not exist`);
      throw error;
    }
  }

  /**
   * Returns what was stored without reading it back: Put Blob and Put Block List both answer
   * with the ETag and Last-Modified of the blob they leave, and the rest is what was sent —
   * the size the digest verified, the headers, the metadata and the Content-MD5 committed with
   * them. (Put Block List's own Content-MD5 is that of the block list, not of the blob.) A
   * response without Last-Modified would be read back rather than given an invented time.
   */
  async put(key: string, body: Readable, opts: PutOptions): Promise<ObjectInfo> {
    const digest = new DigestingStream(opts, `${this.name}/${key}`);
    pipeline(body, digest, () => undefined);
    const blob = this.container.getBlockBlobClient(key);
    const blocks = blocksOf(digest, this.blockSize);
    const first = await blocks.next();
    const second = first.done ? first : await blocks.next();
    const metadata = encodeMetadata(opts.metadata);
    // Put Blob and Put Block List are where a blob changes, so that is where the condition goes.
    const condition = conditionOf(opts);
    const written = await underCondition(`${this.name}/${key}`, condition, conflictKind, async (): Promise<{ etag?: string; lastModified?: Date }> => {
      if (second.done) {
        const bytes = first.done ? Buffer.alloc(0) : first.value;
        const md5 = Buffer.from(digest.md5, 'hex');
        return blob.upload(bytes, bytes.length, {
          blobHTTPHeaders: blobHeaders(opts, md5),
          transactionalContentMD5: md5,
          metadata,
          conditions: condition,
          abortSignal: opts.signal,
        });
      }
      const ids = await this.stage(blob, [first.value as Buffer, second.value], blocks, opts.signal);
      return blob.commitBlockList(ids, { blobHTTPHeaders: blobHeaders(opts, Buffer.from(digest.md5, 'hex')), metadata, conditions: condition, abortSignal: opts.signal });
    });
    // The digest has seen every byte by now: the write waited for the last of them.
    const md5 = Buffer.from(digest.md5, 'hex');
    // Sent no Content-Type, the service stores a default of its choosing: read it rather than guess.
    if (written.etag && written.lastModified && opts.contentType) {
      const { etag, lastModified } = written;
      const { contentType, cacheControl, contentEncoding, contentDisposition } = opts;
      const props = { contentLength: opts.size, contentMD5: md5, etag, lastModified, contentType, cacheControl, contentEncoding, contentDisposition };
      return this.info(key, props, metadata);
    }
    const stored = await this.head(key, opts.signal);
    if (!stored) throw new Error(`${this.name}/${key} vanished right after it was written`);
    return stored;
  }

  /** Stages every block, `concurrency` at a time; returns the ids in order. */
  private async stage(blob: BlockBlobClient, head: Buffer[], rest: AsyncGenerator<Buffer>, signal?: AbortSignal): Promise<string[]> {
    const ids: string[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    const send = (block: Buffer) => {
      const id = blockId(ids.length);
      ids.push(id);
      const sent: Promise<void> = blob
        .stageBlock(id, block, block.length, { transactionalContentMD5: md5Of(block), abortSignal: signal })
        .then(
          () => undefined,
          (error: unknown) => void (failure ??= { error }),
        )
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    };
    async function* all() {
      yield* head;
      yield* rest;
    }
    for await (const block of all()) {
      if (failure) break;
      send(block);
      if (inFlight.size >= this.concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (failure) throw failure.error;
    return ids;
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    await this.container.getBlobClient(key).deleteIfExists({ abortSignal: signal });
  }

  /** Needs a shared-key credential (an account-key connection string); the SDK says so otherwise. */
  presign(key: string, op: 'get' | 'put', expiresInSeconds: number): Promise<string> {
    return this.container.getBlobClient(key).generateSasUrl({
      permissions: BlobSASPermissions.parse(op === 'get' ? 'r' : 'cw'),
      expiresOn: new Date(Date.now() + expiresInSeconds * 1000),
    });
  }
}
