/**
 * An ObjectStore held in memory that passes the ObjectStore contract (test/contract/memory.test.ts)
 * as S3 and Blob Storage do: listing in its key order (UTF-8 bytes as S3, UTF-16 code units as
 * Blob), MD5 vouched for, sizes and announced MD5s checked before anything is committed,
 * conditional puts refused with the WriteConflictError the real adapters throw, times in whole
 * seconds as both services report them, and an ETag of its own for every write.
 *
 * What a test needs beyond the port: `add` writes as an application would, `objects` and
 * `deleted` show what the store holds and what was deleted, `listed` makes the listing lie, and
 * `faults` (memory-faults.ts) makes calls fail or stall.
 */
import { createHash } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import { DigestingStream, readSmall } from '../../src/adapters/digest.js';
import { conditionOf, underCondition, type ConflictKind } from '../../src/adapters/write-conditions.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { NotFoundError } from '../../src/core/errors.js';
import type { ContentHeaders, KeyOrder, ListOptions, ObjectInfo, ObjectStore, PutOptions } from '../../src/core/ports.js';
import { comparatorFor } from '../../src/sync/merge.js';
import { wholeSecondNow } from './memory-clock.js';
import { FaultHooks } from './memory-faults.js';

export type ObjectOperation = 'list' | 'head' | 'get' | 'put' | 'delete';

export interface MemoryStoreOptions {
  /** True (Blob) when the listing carries metadata, MD5 and headers; false (S3) when only a head does. Default true. */
  listsMetadata?: boolean;
  /** A store's own naming rules, checked after the ones every store has (e.g. Blob's). */
  rejectKey?: (key: string) => string | undefined;
  /** Where write times come from. */
  clock?: Clock;
}

export interface Stored {
  info: ObjectInfo;
  bytes: Buffer;
}

const MAX_KEY_BYTES = 1024;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Each write's own ETag, never reused in this process, so a rewrite of the same bytes is seen. */
let writes = 0;
const nextEtag = () => `"0x${(++writes).toString(16).toUpperCase().padStart(12, '0')}"`;
const unquoted = (etag: string) => etag.replace(/"/g, '');
const md5Of = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

/** The refusal the memory store raises for `underCondition` to turn into a WriteConflictError. */
class ConditionRefused extends Error {
  constructor(readonly kind: ConflictKind) {
    super(kind);
  }
}

const copyInfo = (info: ObjectInfo): ObjectInfo => ({ ...info, lastModified: new Date(info.lastModified), metadata: { ...info.metadata } });

function definedHeaders(h: ContentHeaders): ContentHeaders {
  const headers: ContentHeaders = {};
  if (h.contentType) headers.contentType = h.contentType;
  if (h.cacheControl) headers.cacheControl = h.cacheControl;
  if (h.contentEncoding) headers.contentEncoding = h.contentEncoding;
  if (h.contentDisposition) headers.contentDisposition = h.contentDisposition;
  return headers;
}

export class MemoryObjectStore implements ObjectStore {
  readonly listsMetadata: boolean;
  readonly objects = new Map<string, Stored>();
  readonly deleted: string[] = [];
  readonly faults = new FaultHooks<ObjectOperation>();
  /** Replaces the listing's keys (in order) when set: a listing that goes backwards, or ends early. */
  listed?: (keys: string[]) => string[];
  private readonly ownRules: (key: string) => string | undefined;
  private readonly clock: Clock;

  constructor(readonly name: string, readonly keyOrder: KeyOrder = 'utf16', opts: MemoryStoreOptions = {}) {
    this.listsMetadata = opts.listsMetadata ?? true;
    this.ownRules = opts.rejectKey ?? (() => undefined);
    this.clock = opts.clock ?? systemClock;
  }

  rejectKey(key: string): string | undefined {
    if (key === '') return 'keys cannot be empty';
    if (LONE_SURROGATE.test(key)) return 'the key holds a lone UTF-16 surrogate, which has no UTF-8 form';
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes > MAX_KEY_BYTES) return `the key is ${bytes} bytes in UTF-8; keys hold at most ${MAX_KEY_BYTES}`;
    return this.ownRules(key);
  }

  /**
   * Writes an object directly, as an application would: no fault hook, no condition. `written`
   * overrides what the store records, e.g. an MD5 that lies about the bytes.
   */
  add(key: string, body: string | Buffer = `body of ${key}`, written: Partial<Omit<ObjectInfo, 'key' | 'size'>> = {}): ObjectInfo {
    const bytes = Buffer.from(body);
    const info: ObjectInfo = { key, size: bytes.length, md5: md5Of(bytes), etag: nextEtag(), lastModified: wholeSecondNow(this.clock), metadata: {}, ...written };
    this.objects.set(key, { bytes, info });
    return copyInfo(info);
  }

  keys(): string[] {
    return [...this.objects.keys()].sort(comparatorFor(this.keyOrder));
  }

  async *list(opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    await this.faults.enter('list', undefined, opts.signal);
    const keys = this.keys().filter((key) => key.startsWith(opts.prefix ?? ''));
    for (const key of this.listed ? this.listed(keys) : keys) {
      opts.signal?.throwIfAborted();
      const found = this.objects.get(key);
      if (!found) continue;
      const { size, etag, lastModified } = found.info;
      yield this.listsMetadata ? copyInfo(found.info) : { key, size, ...(etag ? { etag } : {}), lastModified: new Date(lastModified), metadata: {} };
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
    await this.faults.enter('head', key, signal);
    const found = this.objects.get(key);
    return found && copyInfo(found.info);
  }

  async get(key: string, signal?: AbortSignal): Promise<{ info: ObjectInfo; body: Readable }> {
    await this.faults.enter('get', key, signal);
    const found = this.objects.get(key);
    if (!found) throw new NotFoundError(`${this.name}/${key} does not exist`);
    return { info: copyInfo(found.info), body: Readable.from([found.bytes]) };
  }

  /**
   * The body is read whole and checked (size, announced MD5) before the condition is looked at
   * and the object replaced, as the real stores commit only once the last byte has arrived.
   */
  async put(key: string, body: Readable, opts: PutOptions): Promise<ObjectInfo> {
    await this.faults.enter('put', key, opts.signal);
    const condition = conditionOf(opts);
    const digest = new DigestingStream(opts, `${this.name}/${key}`);
    pipeline(body, digest, () => undefined);
    const bytes = await readSmall(digest);
    opts.signal?.throwIfAborted();
    return underCondition(`${this.name}/${key}`, condition, (error) => (error instanceof ConditionRefused ? error.kind : undefined), async () => {
      const current = this.objects.get(key)?.info.etag;
      if (condition && 'ifNoneMatch' in condition && current !== undefined) throw new ConditionRefused('refused');
      if (condition && 'ifMatch' in condition) {
        if (current === undefined) throw new ConditionRefused('gone');
        if (unquoted(current) !== unquoted(condition.ifMatch)) throw new ConditionRefused('refused');
      }
      const metadata = Object.fromEntries(Object.entries(opts.metadata ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
      const info: ObjectInfo = { key, size: bytes.length, md5: digest.md5, etag: nextEtag(), lastModified: wholeSecondNow(this.clock), metadata, ...definedHeaders(opts) };
      this.objects.set(key, { info, bytes });
      return copyInfo(info);
    });
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    await this.faults.enter('delete', key, signal);
    this.deleted.push(key);
    this.objects.delete(key);
  }
}
