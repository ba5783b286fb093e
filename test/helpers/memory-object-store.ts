/**
 * An ObjectStore held in memory, listing in its key order: enough to drive the objects engine
 * and its verifications without a twin. `listed` lets a test make the listing lie.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { KeyOrder, ListOptions, ObjectInfo, ObjectStore, PutOptions } from '../../src/core/ports.js';
import { comparatorFor } from '../../src/sync/merge.js';

interface Stored {
  info: ObjectInfo;
  bytes: Buffer;
}

export class MemoryObjectStore implements ObjectStore {
  readonly listsMetadata = true;
  readonly objects = new Map<string, Stored>();
  readonly deleted: string[] = [];
  /** Replaces the listing's keys (in order) when set: a listing that goes backwards, or ends early. */
  listed?: (keys: string[]) => string[];

  constructor(readonly name: string, readonly keyOrder: KeyOrder = 'utf16') {}

  rejectKey(): undefined {
    return undefined;
  }

  /** Writes an object directly, as an application would. */
  add(key: string, body: string | Buffer = `body of ${key}`): void {
    const bytes = Buffer.from(body);
    const md5 = createHash('md5').update(bytes).digest('hex');
    this.objects.set(key, { bytes, info: { key, size: bytes.length, md5, etag: md5, lastModified: new Date(), metadata: {} } });
  }

  keys(): string[] {
    return [...this.objects.keys()].sort(comparatorFor(this.keyOrder));
  }

  async *list(opts: ListOptions = {}): AsyncIterable<ObjectInfo> {
    const keys = this.keys().filter((key) => key.startsWith(opts.prefix ?? ''));
    for (const key of this.listed ? this.listed(keys) : keys) {
      const found = this.objects.get(key);
      if (found) yield { ...found.info };
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const found = this.objects.get(key);
    return found && { ...found.info };
  }

  async get(key: string): Promise<{ info: ObjectInfo; body: Readable }> {
    const found = this.objects.get(key);
    if (!found) throw Object.assign(new Error(`${key}: no such object`), { statusCode: 404 });
    return { info: { ...found.info }, body: Readable.from([found.bytes]) };
  }

  async put(key: string, body: Readable, opts: PutOptions): Promise<ObjectInfo> {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const md5 = createHash('md5').update(bytes).digest('hex');
    const info: ObjectInfo = {
      key, size: bytes.length, md5, etag: md5, lastModified: new Date(), metadata: { ...opts.metadata },
      contentType: opts.contentType, cacheControl: opts.cacheControl, contentEncoding: opts.contentEncoding, contentDisposition: opts.contentDisposition,
    };
    this.objects.set(key, { info, bytes });
    return { ...info };
  }

  async delete(key: string): Promise<void> {
    this.deleted.push(key);
    this.objects.delete(key);
  }
}
