/**
 * Ports whose implementation is loaded on first use: each call waits for the implementation,
 * then hands over. Only asynchronous members can wait, which every member of these ports is,
 * the name aside — known beforehand.
 */
import type { ExportDescription, ExportRequest, TableExporter } from '../core/exports.js';
import type { Item, KeySchema } from '../core/items.js';
import type { BulkWriteOp, BulkWriteResult, DocumentTable, ScanOptions } from '../core/ports.js';

export class LazyDocumentTable implements DocumentTable {
  constructor(readonly name: string, private readonly table: () => Promise<DocumentTable>) {}

  async keySchema(signal?: AbortSignal): Promise<KeySchema> {
    return (await this.table()).keySchema(signal);
  }

  async *scan(opts?: ScanOptions): AsyncIterable<Item> {
    yield* (await this.table()).scan(opts);
  }

  async bulkWrite(ops: BulkWriteOp[], signal?: AbortSignal): Promise<BulkWriteResult> {
    return (await this.table()).bulkWrite(ops, signal);
  }

  async count(signal?: AbortSignal): Promise<number> {
    return (await this.table()).count(signal);
  }

  async get(key: Item, signal?: AbortSignal): Promise<Item | undefined> {
    return (await this.table()).get(key, signal);
  }
}

export class LazyExporter implements TableExporter {
  constructor(private readonly exporter: () => Promise<TableExporter>) {}

  async startExport(request: ExportRequest): Promise<ExportDescription> {
    return (await this.exporter()).startExport(request);
  }

  async describeExport(arn: string, signal?: AbortSignal): Promise<ExportDescription> {
    return (await this.exporter()).describeExport(arn, signal);
  }
}
