/**
 * Amazon S3 as an ObjectStore. S3 keeps no MD5 of the content it vouches for (an ETag is not
 * one: multipart and SSE-KMS ETags are something else), so every put records the MD5 it
 * computed while streaming in the user metadata `content-md5`, and only that is reported.
 * That name is reserved: a caller's own `content-md5` metadata is replaced.
 */
import { pipeline, type Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NotFoundError } from '../../core/errors.js';
import { withRetry } from '../../core/retry.js';
import type { ContentHeaders, ListOptions, ObjectInfo, ObjectStore, PutOptions } from '../../core/ports.js';
import { DigestingStream, hexToBase64, readSmall } from '../digest.js';
import { ListingWalk } from '../listing.js';
import { conditionOf, underCondition, type ConflictKind, type WriteCondition } from '../write-conditions.js';

export const MD5_METADATA = 'content-md5';
const MAX_KEY_BYTES = 1024;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
/** CopyObject (used to record the MD5 of a multipart upload) stops at 5 GiB. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;

export interface S3StoreOptions {
  /** Bytes per multipart part; bodies up to this size go in one PutObject. */
  partSize?: number;
  /** Parts in flight at once: memory is bounded by queueSize × partSize. */
  queueSize?: number;
}

function isNotFound(error: unknown): boolean {
  const err = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err?.name === 'NotFound' || err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404;
}

/**
 * S3's refusals of a conditional write: 412 the condition did not hold; 409
 * ConditionalRequestConflict another write raced it; NoSuchKey an If-Match whose object is gone.
 */
function conflictKind(error: unknown, condition: WriteCondition): ConflictKind | undefined {
  const err = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = err?.$metadata?.httpStatusCode;
  if (status === 412 || err?.name === 'PreconditionFailed') return 'refused';
  if (err?.name === 'ConditionalRequestConflict') return 'raced';
  if ('ifMatch' in condition && err?.name === 'NoSuchKey') return 'gone';
  return undefined;
}

/** The headers that make a PutObject or CompleteMultipartUpload conditional. */
function s3Condition(condition: WriteCondition | undefined) {
  if (!condition) return {};
  return 'ifMatch' in condition ? { IfMatch: condition.ifMatch } : { IfNoneMatch: condition.ifNoneMatch };
}

function s3Headers(h: ContentHeaders) {
  return {
    ContentType: h.contentType,
    CacheControl: h.cacheControl,
    ContentEncoding: h.contentEncoding,
    ContentDisposition: h.contentDisposition,
  };
}

/** What a write's response tells of the object it left. */
type Written = Pick<HeadObjectCommandOutput, 'ETag' | 'LastModified' | 'Metadata'>;

export class S3ObjectStore implements ObjectStore {
  readonly name: string;
  readonly keyOrder = 'utf8' as const;
  /** ListObjectsV2 carries neither metadata nor content headers. */
  readonly listsMetadata = false;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(private readonly client: S3Client, readonly bucket: string, opts: S3StoreOptions = {}) {
    this.name = `s3://${bucket}`;
    this.partSize = opts.partSize ?? 8 * 1024 * 1024;
    this.queueSize = opts.queueSize ?? 4;
  }

  rejectKey(key: string): string | undefined {
    if (key === '') return 'S3 keys cannot be empty';
    if (LONE_SURROGATE.test(key)) return 'the key holds a lone UTF-16 surrogate, which has no UTF-8 form';
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes > MAX_KEY_BYTES) return `the key is ${bytes} bytes in UTF-8; S3 keys hold at most ${MAX_KEY_BYTES}`;
    return undefined;
  }

  /**
   * Page by page, each page retried on its own: one throttled answer must not cost the whole
   * walk. A page is checked whole (ListingWalk) before any of it is yielded; KeyCount is
   * S3's own count of the page, so a page that disagrees with it lost or gained entries.
   */
  async *list(opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const walk = new ListingWalk(this.name, this.keyOrder);
    let token: string | undefined;
    do {
      const page = await withRetry(
        () => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: opts.prefix, MaxKeys: opts.pageSize, ContinuationToken: token }), { abortSignal: opts.signal }),
        { signal: opts.signal },
      );
      const contents = page.Contents ?? [];
      const entries = contents.length + (page.CommonPrefixes?.length ?? 0);
      if (page.KeyCount !== undefined && page.KeyCount !== entries) {
        throw walk.refuse(`gave a page of ${entries} entries that counts itself ${page.KeyCount} (KeyCount)`);
      }
      if (contents.some((o) => o.Key === undefined)) throw walk.refuse('gave an entry without a key');
      walk.page(contents.map((o) => o.Key!));
      token = walk.next(page.IsTruncated === true, page.NextContinuationToken);
      for (const o of contents) {
        yield { key: o.Key!, size: o.Size ?? 0, etag: o.ETag, lastModified: o.LastModified ?? new Date(0), metadata: {} };
      }
    } while (token);
  }

  private info(key: string, out: Omit<HeadObjectCommandOutput, '$metadata'>): ObjectInfo {
    const metadata = { ...(out.Metadata ?? {}) };
    const recorded = metadata[MD5_METADATA];
    delete metadata[MD5_METADATA];
    const info: ObjectInfo = { key, size: out.ContentLength ?? 0, lastModified: out.LastModified ?? new Date(0), metadata };
    if (recorded && /^[0-9a-f]{32}$/.test(recorded)) info.md5 = recorded;
    if (out.ETag) info.etag = out.ETag;
    if (out.ContentType) info.contentType = out.ContentType;
    if (out.CacheControl) info.cacheControl = out.CacheControl;
    if (out.ContentEncoding) info.contentEncoding = out.ContentEncoding;
    if (out.ContentDisposition) info.contentDisposition = out.ContentDisposition;
    return info;
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
      return this.info(key, out);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async get(key: string, signal?: AbortSignal): Promise<{ info: ObjectInfo; body: Readable }> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
      return { info: this.info(key, out), body: out.Body as Readable };
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(`${this.name}/${key} does not exist`);
      throw error;
    }
  }

  /**
   * Returns what was stored without reading it back when the write's own response says when
   * it happened. PutObject and CompleteMultipartUpload answer with an ETag but no
   * Last-Modified (S3 sends none; a time is never guessed), so those puts still end with a
   * head; the copy that records a multipart upload's MD5 answers with both, so it does not.
   */
  async put(key: string, body: Readable, opts: PutOptions): Promise<ObjectInfo> {
    const digest = new DigestingStream(opts, `${this.name}/${key}`);
    pipeline(body, digest, () => undefined);
    // S3 lower-cases metadata names; lower-casing first keeps the reserved name reserved.
    const metadata = Object.fromEntries(Object.entries(opts.metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    delete metadata[MD5_METADATA];
    const condition = conditionOf(opts);
    const written = await underCondition(`${this.name}/${key}`, condition, conflictKind, async (): Promise<Written | undefined> => {
      if (opts.size > this.partSize) return this.putMultipart(key, digest, opts, metadata, condition);
      await this.putSingle(key, digest, opts, metadata, condition);
      return undefined;
    });
    // Sent no Content-Type, S3 stores a default of its choosing: read it rather than guess.
    if (written?.ETag && written.LastModified && opts.contentType) {
      return this.info(key, { ...written, ContentLength: opts.size, ...s3Headers(opts) });
    }
    const stored = await this.head(key, opts.signal);
    if (!stored) throw new Error(`${this.name}/${key} vanished right after it was written`);
    return stored;
  }

  /**
   * One PutObject. The body is buffered whole anyway, so its MD5 is known before sending: it
   * goes as Content-MD5 (S3 itself verifies the bytes it received) and as the recorded
   * metadata, in the same request.
   */
  private async putSingle(key: string, digest: DigestingStream, opts: PutOptions, metadata: Record<string, string>, condition?: WriteCondition): Promise<void> {
    const bytes = await readSmall(digest);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: bytes,
        ContentLength: bytes.length,
        ContentMD5: hexToBase64(digest.md5),
        Metadata: { ...metadata, [MD5_METADATA]: digest.md5 },
        ...s3Headers(opts),
        ...s3Condition(condition),
      }),
      { abortSignal: opts.signal },
    );
  }

  /**
   * Parts stream through the digest; a wrong size or MD5 fails the stream before the upload
   * completes, so the previous version stays. Metadata is fixed when the upload is created,
   * before the first byte, so the MD5 can be recorded with it only when the caller gave it;
   * otherwise the object is copied onto itself with the MD5 added, and what that copy
   * reports is the object as it now stands. A condition rides on the parameters Upload hands
   * to CompleteMultipartUpload, where S3 checks it (a refused completion is aborted, parts and
   * all); the copy after it needs none, being bound to the ETag the completion left.
   */
  private async putMultipart(key: string, digest: DigestingStream, opts: PutOptions, metadata: Record<string, string>, condition?: WriteCondition): Promise<Written | undefined> {
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: key,
        Body: digest,
        Metadata: opts.md5 ? { ...metadata, [MD5_METADATA]: opts.md5.toLowerCase() } : metadata,
        ...s3Headers(opts),
        ...s3Condition(condition),
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    const abort = () => void upload.abort();
    opts.signal?.addEventListener('abort', abort, { once: true });
    try {
      const done = await upload.done();
      if (opts.md5 || opts.size > MAX_COPY_BYTES) return undefined;
      const recorded = { ...metadata, [MD5_METADATA]: digest.md5 };
      const copied = await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: `${this.bucket}/${encodeURIComponent(key)}`,
          CopySourceIfMatch: done.ETag,
          MetadataDirective: 'REPLACE',
          Metadata: recorded,
          ...s3Headers(opts),
        }),
        { abortSignal: opts.signal },
      );
      return { ETag: copied.CopyObjectResult?.ETag, LastModified: copied.CopyObjectResult?.LastModified, Metadata: recorded };
    } finally {
      opts.signal?.removeEventListener('abort', abort);
    }
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: signal });
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  presign(key: string, op: 'get' | 'put', expiresInSeconds: number): Promise<string> {
    const command = op === 'get' ? new GetObjectCommand({ Bucket: this.bucket, Key: key }) : new PutObjectCommand({ Bucket: this.bucket, Key: key });
    return getSignedUrl(this.client, command, { expiresIn: expiresInSeconds });
  }
}
