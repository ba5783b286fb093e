/**
 * Bulk import of a record stream into a DocumentTable: batches written by a bounded pool,
 * each failed or malformed record quarantined with its location while the rest goes on.
 */
import { keyOf, type Item } from '../core/items.js';
import type { BulkWriteOp, DocumentTable } from '../core/ports.js';
import { describeError } from '../core/result.js';
import { withRetry } from '../core/retry.js';
import type { ImportTotals } from '../core/sync-summary.js';
import type { ExportRecord } from './export-reader.js';
import { Pool } from './pool.js';
import type { Quarantine } from './quarantine.js';

export interface ImportOptions {
  batchSize: number;
  concurrency: number;
  quarantine: Quarantine;
  /** Sees every item about to be written (sampling, key bookkeeping). */
  onItem?: (item: Item) => Promise<void> | void;
  onProgress?: (totals: ImportTotals) => void;
  signal?: AbortSignal;
}

interface Located {
  op: BulkWriteOp;
  file: string;
  line: number;
}

export async function importRecords(records: AsyncIterable<ExportRecord>, destination: DocumentTable, opts: ImportOptions): Promise<ImportTotals> {
  const schema = await destination.keySchema(opts.signal);
  const totals: ImportTotals = { records: 0, puts: 0, deletes: 0, written: 0, created: 0, deleted: 0, quarantined: 0 };
  const pool = new Pool(opts.concurrency);
  let batch: Located[] = [];

  const quarantine = async (file: string, line: number, reason: string, key?: Item) => {
    totals.quarantined++;
    await opts.quarantine.add({ file, line, reason, key });
  };

  const write = async (located: Located[]) => {
    try {
      const result = await withRetry(() => destination.bulkWrite(located.map((l) => l.op), opts.signal), { signal: opts.signal });
      totals.written += result.written;
      totals.deleted += result.deleted - (result.absent ?? 0);
      totals.created = totals.created === undefined || result.created === undefined ? undefined : totals.created + result.created;
      for (const failure of result.failed) {
        const where = located.find((l) => l.op === failure.op);
        // The key names the item; the item itself may be megabytes, or data not meant for an incident channel.
        await quarantine(where?.file ?? '?', where?.line ?? 0, failure.reason, keyOf(failure.op.item, schema));
      }
    } catch (err) {
      for (const l of located) await quarantine(l.file, l.line, `the batch could not be written: ${describeError(err)}`);
    }
    opts.onProgress?.(totals);
  };

  const flush = async () => {
    if (batch.length === 0) return;
    const full = batch;
    batch = [];
    await pool.submit(() => write(full));
  };

  try {
    for await (const record of records) {
      opts.signal?.throwIfAborted();
      totals.records++;
      if (record.op === 'malformed') {
        await quarantine(record.file, record.line, record.reason);
        continue;
      }
      const op: BulkWriteOp = record.op === 'put' ? { type: 'put', item: record.item } : { type: 'delete', item: record.key };
      if (record.op === 'put') {
        totals.puts++;
        await opts.onItem?.(record.item);
      } else totals.deletes++;
      batch.push({ op, file: record.file, line: record.line });
      if (batch.length >= opts.batchSize) await flush();
    }
    await flush();
  } finally {
    // Even when the stream fails (a refused data file), no write may still be running when the
    // caller closes the quarantine and reports: it would land after the report and write to a closed file.
    await pool.drain();
  }
  return totals;
}
