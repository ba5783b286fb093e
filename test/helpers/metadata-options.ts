/**
 * The metadata sync's options as its tests run it: a point-in-time export through four transfers
 * and four checkers, a 10 % sample, batches of 100. The caller names the tables, where the export
 * goes and where quarantine files are written; `over` changes anything else.
 */
import { join } from 'node:path';
import { systemClock } from '../../src/core/clock.js';
import type { DocumentTable } from '../../src/core/ports.js';
import type { MetadataSyncOptions } from '../../src/sync/metadata.js';

type ExportSettings = NonNullable<MetadataSyncOptions['export']>;
export type ExportPlace = Omit<ExportSettings, 'maxWindowMs' | 'transfers' | 'checkers'>;

export function metadataOptions(
  o: { runId: string; source: DocumentTable; destination: DocumentTable; export: ExportPlace; work: string },
  over: Partial<MetadataSyncOptions> = {},
): MetadataSyncOptions {
  return {
    runId: o.runId,
    source: o.source,
    destination: o.destination,
    mode: 'point-in-time',
    export: { ...o.export, maxWindowMs: 24 * 3_600_000, transfers: 4, checkers: 4 },
    sampleRatio: 0.1,
    batchSize: 100,
    concurrency: 4,
    quarantineFile: join(o.work, `${o.runId}.jsonl`),
    clock: systemClock,
    ...over,
  };
}
