/**
 * Amazon DynamoDB as a DocumentTable, on the low-level client so every attribute type stays
 * exact: numbers travel as their decimal strings (38 digits), binary as bytes (base64 in the
 * typed item), sets as sets. Conditional puts (writes back into production) go one by one as
 * PutItem with a ConditionExpression, which BatchWriteItem cannot carry.
 */
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  PutItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  ScanCommand,
  type AttributeValue as SdkValue,
  type DynamoDBClient,
  type PutItemCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { canonicalForm, canonicalHash } from '../../core/canonical.js';
import { attributeType, keyOf, type AttributeValue, type Item, type KeyAttributeType, type KeySchema } from '../../core/items.js';
import type { BulkWriteFailure, BulkWriteOp, BulkWriteResult, DocumentTable, ScanOptions, WriteExpectation } from '../../core/ports.js';
import { withRetry, type RetryPolicy } from '../../core/retry.js';
import { sendUntilAccepted } from '../throttle.js';
import { dynamoTableName } from '../table-names.js';

/** DynamoDB's item size limit. */
export const MAX_ITEM_BYTES = 400 * 1024;
const BATCH_SIZE = 25;

// ------------------------------------------------------------------ typed item ↔ SDK

function toSdk(value: AttributeValue): SdkValue {
  if ('B' in value) return { B: Buffer.from(value.B, 'base64') };
  if ('BS' in value) return { BS: value.BS.map((b) => Buffer.from(b, 'base64')) };
  if ('M' in value) return { M: toSdkItem(value.M) };
  if ('L' in value) return { L: value.L.map(toSdk) };
  return value as SdkValue;
}

function fromSdk(value: SdkValue): AttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.M !== undefined) return { M: fromSdkItem(value.M) };
  if (value.L !== undefined) return { L: value.L.map(fromSdk) };
  if (value.NULL !== undefined) return { NULL: true };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  throw new Error(`DynamoDB returned an attribute of an unknown type: ${Object.keys(value).join(',')}`);
}

export function toSdkItem(item: Item): Record<string, SdkValue> {
  const out: Record<string, SdkValue> = {};
  for (const name of Object.keys(item)) out[name] = toSdk(item[name] as AttributeValue);
  return out;
}

export function fromSdkItem(item: Record<string, SdkValue>): Item {
  const out: Item = {};
  for (const name of Object.keys(item)) out[name] = fromSdk(item[name] as SdkValue);
  return out;
}

// ------------------------------------------------------------------ item size

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
const base64Bytes = (b: string) => Buffer.byteLength(b, 'base64');
/** DynamoDB stores numbers in about one byte per two significant digits, plus one. */
const numberBytes = (n: string) => Math.ceil(n.replace(/[^0-9]/g, '').replace(/^0+/, '').length / 2) + 1;

function valueBytes(value: AttributeValue): number {
  switch (attributeType(value)) {
    case 'S': return utf8((value as { S: string }).S);
    case 'N': return numberBytes((value as { N: string }).N);
    case 'B': return base64Bytes((value as { B: string }).B);
    case 'SS': return (value as { SS: string[] }).SS.reduce((n, s) => n + utf8(s), 0);
    case 'NS': return (value as { NS: string[] }).NS.reduce((n, s) => n + numberBytes(s), 0);
    case 'BS': return (value as { BS: string[] }).BS.reduce((n, b) => n + base64Bytes(b), 0);
    case 'M': return 3 + itemBytes((value as { M: Item }).M) + Object.keys((value as { M: Item }).M).length;
    case 'L': return 3 + (value as { L: AttributeValue[] }).L.reduce((n, v) => n + 1 + valueBytes(v), 0);
    default: return 1;
  }
}

/** Size of an item as DynamoDB counts it against its 400 KB limit (names + values). */
export function itemBytes(item: Item): number {
  let total = 0;
  for (const name of Object.keys(item)) total += utf8(name) + valueBytes(item[name] as AttributeValue);
  return total;
}

// ------------------------------------------------------------------ parallel scan

/** Pages of several segments as one stream; at most one page per segment is read ahead. */
async function* mergePages<T>(segments: AsyncGenerator<T[]>[]): AsyncGenerator<T> {
  const next = (i: number) => (segments[i] as AsyncGenerator<T[]>).next().then((result) => ({ i, result }));
  const pending = new Map(segments.map((_, i) => [i, next(i)]));
  try {
    while (pending.size > 0) {
      const { i, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(i);
        continue;
      }
      pending.set(i, next(i));
      yield* result.value;
    }
  } finally {
    await Promise.allSettled(segments.map((s) => s.return(undefined)));
  }
}

// ------------------------------------------------------------------ the table

export interface DynamoTableOptions {
  /** Concurrent BatchWriteItem calls in one bulk write. */
  writeConcurrency?: number;
  retry?: RetryPolicy;
}

export class DynamoDocumentTable implements DocumentTable {
  readonly name: string;
  private schema: Promise<KeySchema> | undefined;
  private readonly writeConcurrency: number;

  constructor(private readonly client: DynamoDBClient, readonly table: string, private readonly opts: DynamoTableOptions = {}) {
    this.name = dynamoTableName(table);
    this.writeConcurrency = opts.writeConcurrency ?? 4;
  }

  keySchema(signal?: AbortSignal): Promise<KeySchema> {
    this.schema ??= this.describe(signal).catch((error: unknown) => {
      this.schema = undefined;
      throw error;
    });
    return this.schema;
  }

  private async describe(signal?: AbortSignal): Promise<KeySchema> {
    const { Table } = await this.client.send(new DescribeTableCommand({ TableName: this.table }), { abortSignal: signal });
    const typeOf = (name: string) => Table?.AttributeDefinitions?.find((d) => d.AttributeName === name)?.AttributeType as KeyAttributeType;
    const hash = Table?.KeySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
    const range = Table?.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    if (!hash) throw new Error(`${this.name} has no hash key in its description`);
    const schema: KeySchema = { hashKey: { name: hash, type: typeOf(hash) } };
    if (range) schema.rangeKey = { name: range, type: typeOf(range) };
    return schema;
  }

  private async *segment(segment: number, total: number, opts: ScanOptions, select?: 'COUNT'): AsyncGenerator<Array<Record<string, SdkValue>>> {
    let start: Record<string, SdkValue> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({ TableName: this.table, Segment: segment, TotalSegments: total, Limit: opts.pageSize, ExclusiveStartKey: start, Select: select }),
        { abortSignal: opts.signal },
      );
      yield select === 'COUNT' ? new Array(page.Count ?? 0) : (page.Items ?? []);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  private segments(opts: ScanOptions, select?: 'COUNT') {
    const total = Math.max(1, opts.segments ?? 4);
    return Array.from({ length: total }, (_, i) => this.segment(i, total, opts, select));
  }

  async *scan(opts: ScanOptions = {}): AsyncIterable<Item> {
    // DynamoDB keeps no write time per item: a "changed since" scan would silently be a full one.
    if (opts.changedSince) throw new Error(`${this.name} cannot list items by write time; read its exports instead`);
    for await (const item of mergePages(this.segments(opts))) yield fromSdkItem(item);
  }

  /** By reading (Select COUNT): ItemCount is hours stale on DynamoDB and always 0 on dynalite. */
  async count(signal?: AbortSignal): Promise<number> {
    let total = 0;
    const opts: ScanOptions = signal ? { signal } : {};
    await Promise.all(
      this.segments(opts, 'COUNT').map(async (pages) => {
        for await (const page of pages) total += page.length;
      }),
    );
    return total;
  }

  async get(key: Item, signal?: AbortSignal): Promise<Item | undefined> {
    const schema = await this.keySchema(signal);
    const { Item: found } = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: toSdkItem(keyOf(key, schema)), ConsistentRead: true }),
      { abortSignal: signal },
    );
    return found ? fromSdkItem(found) : undefined;
  }

  async bulkWrite(ops: BulkWriteOp[], signal?: AbortSignal): Promise<BulkWriteResult> {
    const schema = await this.keySchema(signal);
    const result: BulkWriteResult = { written: 0, deleted: 0, failed: [] };
    const keyed: Keyed[] = [];
    for (const op of ops) {
      const reason = this.refusal(op, schema);
      if (reason) result.failed.push({ op, reason });
      else keyed.push({ op, key: canonicalForm(keyOf(op.item, schema)) });
    }
    const batches = batchesOf(keyed);
    // Two ops on one key must land in order: then batches go one at a time.
    const concurrency = new Set(keyed.map((k) => k.key)).size === keyed.length ? this.writeConcurrency : 1;
    const worker = async () => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) {
        const [first] = batch as [Keyed];
        if (first.op.expect) await this.putExpecting(first.op, first.op.expect, schema, result, signal);
        else await this.writeBatch(batch, schema, result, signal);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return result;
  }

  private refusal(op: BulkWriteOp, schema: KeySchema): string | undefined {
    if (op.expect && op.type !== 'put') return 'only a put takes a condition';
    try {
      keyOf(op.item, schema);
    } catch (error) {
      return (error as Error).message;
    }
    if (op.type === 'put') {
      const bytes = itemBytes(op.item);
      if (bytes > MAX_ITEM_BYTES) return `item is ${bytes} bytes; DynamoDB items hold at most ${MAX_ITEM_BYTES}`;
    }
    return undefined;
  }

  private async writeBatch(batch: Keyed[], schema: KeySchema, result: BulkWriteResult, signal?: AbortSignal) {
    const done = (op: BulkWriteOp) => (op.type === 'put' ? result.written++ : result.deleted++);
    const request = ({ op }: { op: BulkWriteOp }) => writeRequest(op, schema);
    const left = await sendUntilAccepted(
      batch,
      async (pending) => {
        let unprocessed: WriteRequest[];
        try {
          const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending.map(request) } }), { abortSignal: signal });
          unprocessed = out.UnprocessedItems?.[this.table] ?? [];
        } catch (error) {
          if ((error as { name?: string }).name !== 'ValidationException') throw error;
          // One bad item fails the whole batch: write one by one to tell which.
          result.failed.push(...(await this.writeEach(pending, schema, done, signal)));
          return { retry: [] };
        }
        const refused = new Set(unprocessed.map((r) => canonicalForm(keyOf(fromSdkItem(r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {}), schema))));
        const retry = pending.filter((p) => refused.has(p.key));
        pending.filter((p) => !refused.has(p.key)).forEach((p) => done(p.op));
        return { retry };
      },
      { ...(this.opts.retry ? { policy: this.opts.retry } : {}), signal },
    );
    for (const { op } of left) result.failed.push({ op, reason: 'still throttled (UnprocessedItems) when the retries ran out' });
  }

  private async writeEach(pending: Array<{ op: BulkWriteOp }>, schema: KeySchema, done: (op: BulkWriteOp) => void, signal?: AbortSignal): Promise<BulkWriteFailure[]> {
    const failures: BulkWriteFailure[] = [];
    for (const { op } of pending) {
      try {
        if (op.type === 'put') await this.client.send(new PutItemCommand({ TableName: this.table, Item: toSdkItem(op.item) }), { abortSignal: signal });
        else await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: toSdkItem(keyOf(op.item, schema)) }), { abortSignal: signal });
        done(op);
      } catch (error) {
        failures.push({ op, reason: `${(error as Error).name}: ${(error as Error).message}` });
      }
    }
    return failures;
  }

  /**
   * A conditional put. A refused condition is a conflict, unless the item already holds exactly
   * what was put: then it is this put's own earlier attempt, whose answer was lost and retried.
   */
  private async putExpecting(op: BulkWriteOp, expect: WriteExpectation, schema: KeySchema, result: BulkWriteResult, signal?: AbortSignal) {
    const put = new PutItemCommand({ TableName: this.table, Item: toSdkItem(op.item), ...conditionOf(expect, schema) });
    try {
      await withRetry(() => this.client.send(put, { abortSignal: signal }), { ...(this.opts.retry ? { policy: this.opts.retry } : {}), ...(signal ? { signal } : {}) });
      result.written++;
    } catch (error) {
      const { name, message } = error as Error;
      if (name === 'ConditionalCheckFailedException') {
        const now = await this.get(op.item, signal);
        if (now && canonicalHash(now) === canonicalHash(op.item)) result.written++;
        else result.failed.push({ op, conflict: true, reason: 'absent' in expect ? 'an item with this key appeared on DynamoDB after it was read' : 'the item changed on DynamoDB after it was read' });
      } else if (name === 'ValidationException') result.failed.push({ op, reason: `${name}: ${message}` });
      else throw error;
    }
  }
}

interface Keyed {
  op: BulkWriteOp;
  /** Canonical form of the op's primary key. */
  key: string;
}

/**
 * `absent`: no item has the key. `equals`: the item is there and every attribute read still
 * holds its value — any change to them, or a delete, in between refuses the put. The key
 * attributes are left out: the read found the item by them.
 */
function conditionOf(expect: WriteExpectation, schema: KeySchema): Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const names: Record<string, string> = { '#k': schema.hashKey.name };
  if ('absent' in expect) return { ConditionExpression: 'attribute_not_exists(#k)', ExpressionAttributeNames: names };
  const clauses = ['attribute_exists(#k)'];
  const values: Record<string, SdkValue> = {};
  Object.keys(expect.equals)
    .filter((name) => name !== schema.hashKey.name && name !== schema.rangeKey?.name)
    .forEach((name, i) => {
      names[`#a${i}`] = name;
      values[`:a${i}`] = toSdk(expect.equals[name] as AttributeValue);
      clauses.push(`#a${i} = :a${i}`);
    });
  // DynamoDB refuses an empty ExpressionAttributeValues.
  return { ConditionExpression: clauses.join(' AND '), ExpressionAttributeNames: names, ...(clauses.length > 1 ? { ExpressionAttributeValues: values } : {}) };
}

function writeRequest(op: BulkWriteOp, schema: KeySchema): WriteRequest {
  return op.type === 'put' ? { PutRequest: { Item: toSdkItem(op.item) } } : { DeleteRequest: { Key: toSdkItem(keyOf(op.item, schema)) } };
}

/**
 * Batches of at most 25 with no key twice (BatchWriteItem refuses duplicates); order kept. A
 * conditional put is a batch of its own.
 */
function batchesOf(items: Keyed[]): Keyed[][] {
  const batches: Keyed[][] = [];
  let current: Keyed[] = [];
  let keys = new Set<string>();
  for (const item of items) {
    const alone = item.op.expect !== undefined || current[0]?.op.expect !== undefined;
    if (current.length === BATCH_SIZE || keys.has(item.key) || (alone && current.length > 0)) {
      batches.push(current);
      current = [];
      keys = new Set();
    }
    current.push(item);
    keys.add(item.key);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
