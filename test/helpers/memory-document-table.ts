/**
 * A DocumentTable held in memory that passes the DocumentTable contract
 * (test/contract/memory.test.ts), and behaves as one of the two real tables where they differ:
 *
 *   dynamodb  puts under a condition (`expect`), refusing with the conflict reasons DynamoDB's
 *             adapter gives; items up to DynamoDB's 400 KB as it counts them; no write times.
 *   cosmos    items kept as the Cosmos adapter's documents (core/documents.ts), so they read
 *             back as they would from Cosmos; each bulk put recorded as a forward copy (the
 *             source item's hash) at a write time of whole seconds (`_ts`), which `scan`
 *             reports and filters by; `created` and `absent` counted; conditions refused.
 *
 * What a test needs beyond the port: `write` changes an item as an application would (no
 * forward copy), and `faults` (memory-faults.ts) makes calls fail or stall.
 */
import { canonicalForm, canonicalHash } from '../../src/core/canonical.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { documentId, fromDocument, partitionKeyOf, toCopiedDocument, toDocument } from '../../src/core/documents.js';
import { keyOf, type Item, type KeySchema } from '../../src/core/items.js';
import type { BulkWriteOp, BulkWriteResult, DocumentTable, ItemVersion, ScanOptions, WriteExpectation } from '../../src/core/ports.js';
import { itemBytes, MAX_ITEM_BYTES } from '../../src/adapters/aws/dynamodb.js';
import { MAX_DOCUMENT_BYTES } from '../../src/adapters/azure/cosmos.js';
import { wholeSecondNow } from './memory-clock.js';
import { FaultHooks } from './memory-faults.js';

export type TableOperation = 'keySchema' | 'scan' | 'bulkWrite' | 'count' | 'get';

export interface MemoryTableOptions {
  /** Which real table it stands in for where they differ (see above). */
  behaves: 'dynamodb' | 'cosmos';
  /** Where write times come from (cosmos). */
  clock?: Clock;
}

interface Held {
  item: Item;
  modified: Date;
  /** The canonical hash of the item a forward copy was made from. */
  sourceHash?: string;
}

/** Where one flavour differs: how an item is addressed and kept, and which writes it refuses. */
interface Flavour {
  /** The address of the item with this key: equal for two items the real table holds as one. */
  slot(key: Item): string;
  /** The item as the table gives it back. */
  kept(item: Item): Item;
  /** Why a put cannot be written (besides its key), or undefined. */
  refusePut(op: BulkWriteOp): string | undefined;
  takesConditions: boolean;
  tellsCreated: boolean;
  keepsVersions: boolean;
}

function dynamoFlavour(schema: KeySchema): Flavour {
  return {
    slot: (key) => canonicalForm(keyOf(key, schema)),
    kept: (item) => structuredClone(item),
    refusePut(op) {
      const bytes = itemBytes(op.item);
      return bytes > MAX_ITEM_BYTES ? `item is ${bytes} bytes; DynamoDB items hold at most ${MAX_ITEM_BYTES}` : undefined;
    },
    takesConditions: true,
    tellsCreated: false,
    keepsVersions: false,
  };
}

function cosmosFlavour(schema: KeySchema): Flavour {
  return {
    slot: (key) => documentId(key, schema),
    kept: (item) => fromDocument(toDocument(item, schema), schema),
    refusePut(op) {
      const doc = toCopiedDocument(op.item, schema);
      partitionKeyOf(doc, schema);
      const bytes = Buffer.byteLength(JSON.stringify(doc), 'utf8');
      return bytes > MAX_DOCUMENT_BYTES ? `document is ${bytes} bytes; Cosmos documents hold at most ${MAX_DOCUMENT_BYTES}` : undefined;
    },
    takesConditions: false,
    tellsCreated: true,
    keepsVersions: true,
  };
}

/** Every attribute of `expected` (but the key) holds the same value in `held`, sets in any order. */
function holdsAll(held: Item, expected: Item, schema: KeySchema): boolean {
  return Object.keys(expected)
    .filter((name) => name !== schema.hashKey.name && name !== schema.rangeKey?.name)
    .every((name) => held[name] !== undefined && canonicalForm({ v: held[name]! }) === canonicalForm({ v: expected[name]! }));
}

export class MemoryDocumentTable implements DocumentTable {
  readonly faults = new FaultHooks<TableOperation>();
  private readonly items = new Map<string, Held>();
  private readonly flavour: Flavour;
  private readonly clock: Clock;

  constructor(readonly name: string, private readonly schema: KeySchema, opts: MemoryTableOptions) {
    this.flavour = opts.behaves === 'dynamodb' ? dynamoFlavour(schema) : cosmosFlavour(schema);
    this.clock = opts.clock ?? systemClock;
  }

  async keySchema(signal?: AbortSignal): Promise<KeySchema> {
    await this.faults.enter('keySchema', undefined, signal);
    return structuredClone(this.schema);
  }

  async *scan(opts: ScanOptions = {}): AsyncIterable<Item> {
    await this.faults.enter('scan', undefined, opts.signal);
    if (opts.changedSince && !this.flavour.keepsVersions) throw new Error(`${this.name} cannot list items by write time; read its exports instead`);
    // Whole seconds, as `_ts`: a change within the second of `changedSince` is included.
    const since = opts.changedSince && Math.floor(opts.changedSince.getTime() / 1000) * 1000;
    for (const held of [...this.items.values()]) {
      opts.signal?.throwIfAborted();
      if (since !== undefined && held.modified.getTime() < since) continue;
      const item = structuredClone(held.item);
      if (this.flavour.keepsVersions) opts.versions?.set(item, this.versionOf(held));
      yield item;
    }
  }

  async count(signal?: AbortSignal): Promise<number> {
    await this.faults.enter('count', undefined, signal);
    return this.items.size;
  }

  async get(key: Item, signal?: AbortSignal): Promise<Item | undefined> {
    await this.faults.enter('get', undefined, signal);
    const held = this.items.get(this.flavour.slot(key));
    return held && structuredClone(held.item);
  }

  /** In order, each op on its own: a refused op is reported and the rest goes on, as the real tables do. */
  async bulkWrite(ops: BulkWriteOp[], signal?: AbortSignal): Promise<BulkWriteResult> {
    await this.faults.enter('bulkWrite', undefined, signal);
    const result: BulkWriteResult = { written: 0, deleted: 0, failed: [], ...(this.flavour.tellsCreated ? { created: 0, absent: 0 } : {}) };
    for (const op of ops) {
      const placed = this.place(op);
      if ('refused' in placed) {
        result.failed.push({ op, reason: placed.refused });
        continue;
      }
      const { slot } = placed;
      if (op.type === 'delete') {
        if (!this.items.delete(slot) && result.absent !== undefined) result.absent++;
        result.deleted++;
        continue;
      }
      const conflict = op.expect && this.conflict(slot, op, op.expect);
      if (conflict) {
        result.failed.push({ op, conflict: true, reason: conflict });
        continue;
      }
      if (!this.items.has(slot) && result.created !== undefined) result.created++;
      const forwardCopy = this.flavour.keepsVersions ? { sourceHash: canonicalHash(op.item) } : {};
      this.items.set(slot, { item: this.flavour.kept(op.item), modified: wholeSecondNow(this.clock), ...forwardCopy });
      result.written++;
    }
    return result;
  }

  /**
   * Writes an item as an application does, outside the sync: no fault hook, no limit, and no
   * forward copy recorded — unless `keepSource`, as an application that rewrites a document's
   * fields and leaves the others (the forward copy's fingerprint among them) as they were.
   */
  write(item: Item, opts: { keepSource?: boolean } = {}): void {
    const slot = this.flavour.slot(item);
    const sourceHash = opts.keepSource ? this.items.get(slot)?.sourceHash : undefined;
    this.items.set(slot, { item: this.flavour.kept(item), modified: wholeSecondNow(this.clock), ...(sourceHash ? { sourceHash } : {}) });
  }

  /** Where the op lands, or why it cannot be written: a key attribute missing, a limit, a condition the table does not take. */
  private place(op: BulkWriteOp): { slot: string } | { refused: string } {
    try {
      const slot = this.flavour.slot(op.item);
      const refused = this.refusal(op);
      return refused ? { refused } : { slot };
    } catch (error) {
      return { refused: (error as Error).message };
    }
  }

  private refusal(op: BulkWriteOp): string | undefined {
    if (op.expect && !this.flavour.takesConditions) return `${this.name} takes no conditional writes`;
    if (op.expect && op.type !== 'put') return 'only a put takes a condition';
    return op.type === 'put' ? this.flavour.refusePut(op) : undefined;
  }

  /** Why the condition does not hold, or undefined; an item equal to the put is the put's own earlier attempt. */
  private conflict(slot: string, op: BulkWriteOp, expect: WriteExpectation): string | undefined {
    const held = this.items.get(slot)?.item;
    const holds = 'absent' in expect ? held === undefined : held !== undefined && holdsAll(held, expect.equals, this.schema);
    if (holds || (held && canonicalHash(held) === canonicalHash(op.item))) return undefined;
    return 'absent' in expect ? 'an item with this key appeared on DynamoDB after it was read' : 'the item changed on DynamoDB after it was read';
  }

  private versionOf(held: Held): ItemVersion {
    return { modified: new Date(held.modified), ...(held.sourceHash ? { sourceHash: held.sourceHash } : {}) };
  }
}
