/**
 * Azure Cosmos DB (NoSQL) as a DocumentTable. Documents are the natural JSON of
 * core/documents.ts; the key schema is the source table's (Cosmos has no range key of its
 * own), given directly or fetched lazily, e.g. from the DynamoDB table or an export's metadata.
 *
 * Its writes are the forward copy's: each document carries the fingerprint of the item it was
 * made from. Conditional writes (`expect`) are refused, reported per op: nothing writes into
 * Cosmos under a condition, and an op ignoring one would write what its caller meant to guard.
 */
import type { Container, JSONObject, OperationInput } from '@azure/cosmos';
import { documentVersion, fromDocument, partitionKeyOf, toCopiedDocument, toDocument, type CosmosDocument } from '../../core/documents.js';
import { keyOf, type Item, type KeySchema } from '../../core/items.js';
import type { BulkWriteOp, BulkWriteResult, DocumentTable, ScanOptions } from '../../core/ports.js';
import type { RetryPolicy } from '../../core/retry.js';
import { sendUntilAccepted } from '../throttle.js';
import { cosmosContainerName } from '../table-names.js';

/** Cosmos refuses documents over 2 MB. */
export const MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;

export type KeySchemaSource = KeySchema | ((signal?: AbortSignal) => Promise<KeySchema>);

export interface CosmosTableOptions {
  retry?: RetryPolicy;
}

interface Prepared {
  op: BulkWriteOp;
  input: OperationInput;
}

const THROTTLED = 429;

export class CosmosDocumentTable implements DocumentTable {
  readonly name: string;
  private schema: Promise<KeySchema> | undefined;

  constructor(private readonly container: Container, private readonly schemaSource: KeySchemaSource, private readonly opts: CosmosTableOptions = {}) {
    this.name = cosmosContainerName(container.database.id, container.id);
  }

  keySchema(signal?: AbortSignal): Promise<KeySchema> {
    const source = this.schemaSource;
    if (typeof source !== 'function') return Promise.resolve(source);
    this.schema ??= source(signal).catch((error: unknown) => {
      this.schema = undefined;
      throw error;
    });
    return this.schema;
  }

  async *scan(opts: ScanOptions = {}): AsyncIterable<Item> {
    const schema = await this.keySchema(opts.signal);
    // `_ts` is the server's write time in whole seconds: a change within the same second as
    // `changedSince` is included rather than lost.
    const query = opts.changedSince
      ? { query: 'SELECT * FROM c WHERE c._ts >= @since', parameters: [{ name: '@since', value: Math.floor(opts.changedSince.getTime() / 1000) }] }
      : 'SELECT * FROM c';
    const pages = this.container.items.query<CosmosDocument>(query, {
      ...(opts.pageSize ? { maxItemCount: opts.pageSize } : {}),
      ...(opts.signal ? { abortSignal: opts.signal } : {}),
    });
    while (pages.hasMoreResults()) {
      const { resources } = await pages.fetchNext();
      for (const doc of resources) {
        const item = fromDocument(doc, schema);
        opts.versions?.set(item, documentVersion(doc));
        yield item;
      }
    }
  }

  async count(signal?: AbortSignal): Promise<number> {
    const { resources } = await this.container.items
      .query<number>('SELECT VALUE COUNT(1) FROM c', signal ? { abortSignal: signal } : {})
      .fetchAll();
    // Partial counts per partition range are summed in case the gateway did not merge them.
    return resources.reduce((sum, n) => sum + n, 0);
  }

  async get(key: Item, signal?: AbortSignal): Promise<Item | undefined> {
    const schema = await this.keySchema(signal);
    const keyDoc = toDocument(keyOf(key, schema), schema);
    try {
      const { resource } = await this.container.item(keyDoc.id, partitionKeyOf(keyDoc, schema)).read<CosmosDocument>(signal ? { abortSignal: signal } : {});
      return resource ? fromDocument(resource, schema) : undefined;
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw error;
    }
  }

  async bulkWrite(ops: BulkWriteOp[], signal?: AbortSignal): Promise<BulkWriteResult> {
    const schema = await this.keySchema(signal);
    const result: BulkWriteResult = { written: 0, created: 0, deleted: 0, absent: 0, failed: [] };
    const prepared: Prepared[] = [];
    for (const op of ops) {
      try {
        prepared.push({ op, input: this.operation(op, schema) });
      } catch (error) {
        result.failed.push({ op, reason: (error as Error).message });
      }
    }
    for (const round of roundsWithUniqueIds(prepared)) await this.writeRound(round, result, signal);
    return result;
  }

  private operation(op: BulkWriteOp, schema: KeySchema): OperationInput {
    if (op.expect) throw new Error(`${this.name} takes no conditional writes`);
    if (op.type === 'delete') {
      const keyDoc = toDocument(keyOf(op.item, schema), schema);
      return { operationType: 'Delete', id: keyDoc.id, partitionKey: partitionKeyOf(keyDoc, schema) };
    }
    const doc = toCopiedDocument(op.item, schema);
    const bytes = Buffer.byteLength(JSON.stringify(doc), 'utf8');
    if (bytes > MAX_DOCUMENT_BYTES) throw new Error(`document is ${bytes} bytes; Cosmos documents hold at most ${MAX_DOCUMENT_BYTES}`);
    return { operationType: 'Upsert', resourceBody: doc as JSONObject, partitionKey: partitionKeyOf(doc, schema) };
  }

  private async writeRound(round: Prepared[], result: BulkWriteResult, signal?: AbortSignal) {
    const left = await sendUntilAccepted(
      round,
      async (pending) => {
        const responses = await this.container.items.executeBulkOperations(pending.map((p) => p.input), signal ? { abortSignal: signal } : {});
        const retry: Prepared[] = [];
        let retryAfterMs: number | undefined;
        responses.forEach((response, i) => {
          const p = pending[i] as Prepared;
          const status = response.response?.statusCode ?? Number(response.error?.code ?? 0);
          if (status === THROTTLED) {
            retry.push(p);
            retryAfterMs = Math.max(retryAfterMs ?? 0, response.error?.retryAfterInMs ?? 0);
          } else if (status >= 200 && status < 300) {
            if (p.op.type === 'put') {
              result.written++;
              if (status === 201) result.created!++;
            } else result.deleted++;
          } else if (status === 404 && p.op.type === 'delete') {
            result.deleted++;
            result.absent!++;
          } else {
            const message = response.error?.message?.split('\n')[0] ?? '';
            result.failed.push({ op: p.op, reason: `Cosmos answered ${status || 'no status'} ${message}`.trim() });
          }
        });
        return { retry, retryAfterMs };
      },
      { ...(this.opts.retry ? { policy: this.opts.retry } : {}), signal },
    );
    for (const { op } of left) result.failed.push({ op, reason: 'still throttled (429) when the retries ran out' });
  }
}

/** The bulk executor runs operations in parallel: two on one document must not share a call. */
function roundsWithUniqueIds(prepared: Prepared[]): Prepared[][] {
  const rounds: Prepared[][] = [];
  let current: Prepared[] = [];
  let ids = new Set<string>();
  for (const p of prepared) {
    const id = 'id' in p.input ? p.input.id : String((p.input.resourceBody as CosmosDocument).id);
    if (ids.has(id)) {
      rounds.push(current);
      current = [];
      ids = new Set();
    }
    current.push(p);
    ids.add(id);
  }
  if (current.length > 0) rounds.push(current);
  return rounds;
}
