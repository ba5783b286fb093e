/**
 * R13.2, metadata: what changed in Cosmos during the contingency, carried back to DynamoDB
 * and proven by the hashes of a sample. Like every reverse flow it never deletes at the
 * destination.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeySchema } from '../core/items.js';
import type { DocumentTable } from '../core/ports.js';
import { fail, pass } from '../core/result.js';
import type { ExportRecord } from './export-reader.js';
import { importRecords } from './importer.js';
import type { MetadataProgress, MetadataSyncSummary } from './metadata.js';
import { Quarantine } from './quarantine.js';
import { Sampler, verifySample } from './sample.js';

export interface ReverseMetadataOptions {
  /** Cosmos during the contingency. */
  source: DocumentTable;
  /** DynamoDB, back in charge after the rollback. */
  destination: DocumentTable;
  /** The key schema of the DynamoDB table. */
  schema: KeySchema;
  /** The failover time: only items changed since are carried back (the reverse delta). */
  since: Date;
  sampleRatio: number;
  batchSize: number;
  concurrency: number;
  quarantineFile: string;
  signal?: AbortSignal;
  onProgress?: (progress: MetadataProgress) => void;
}

export async function syncMetadataReverse(opts: ReverseMetadataOptions): Promise<MetadataSyncSummary> {
  const { signal, schema } = opts;
  const work = await mkdtemp(join(tmpdir(), 'drsentinel-reverse-'));
  const sampler = new Sampler(join(work, 'sample.jsonl'), opts.sampleRatio);
  const quarantine = new Quarantine(opts.quarantineFile);
  try {
    const records = async function* (): AsyncGenerator<ExportRecord> {
      let line = 0;
      for await (const item of opts.source.scan({ signal, changedSince: opts.since })) yield { file: `changes:${opts.source.name}`, line: ++line, op: 'put', item };
    };
    const totals = await importRecords(records(), opts.destination, {
      batchSize: opts.batchSize, concurrency: opts.concurrency, quarantine, signal,
      onItem: (item) => sampler.offer(item),
      onProgress: (t) => opts.onProgress?.({ phase: 'importing', records: t.records, written: t.written, quarantined: t.quarantined }),
    });
    await sampler.close();
    await quarantine.close();
    const sample = await verifySample(sampler, opts.destination, schema, { signal });
    const problems: string[] = [];
    if (totals.quarantined > 0) problems.push(`${totals.quarantined} changed items could not be written back (first: ${quarantine.first[0]!.reason})`);
    if (sample.status !== 'pass') problems.push(sample.reason);
    const ratio = totals.records === 0 ? 1 : (totals.records - totals.quarantined - (sample.measurements.sampled! - sample.measurements.matched!)) / totals.records;
    const measurements = { records: totals.records, written: totals.written, quarantined: totals.quarantined, sampled: sample.measurements.sampled!, sampleMatched: sample.measurements.matched!, ratio };
    const evidence = { since: opts.since.toISOString(), sample: sample.evidence, quarantined: quarantine.first };
    const verification = problems.length === 0
      ? pass(`${totals.written} items changed since ${opts.since.toISOString()} carried back; ${sample.measurements.sampled} sampled hashes equal`, evidence, measurements)
      : fail(problems.join('; '), evidence, measurements);
    return {
      kind: 'scan', exportTime: new Date().toISOString(), expectedItems: totals.puts, import: totals, staleRemoved: 0,
      quarantineFile: quarantine.count > 0 ? quarantine.path : undefined,
      quarantinedFirst: quarantine.first.map(({ file, line, reason }) => ({ file, line, reason })),
      destinationCount: -1, verification,
    };
  } finally {
    await sampler.close();
    await quarantine.close();
    await rm(work, { recursive: true, force: true });
  }
}
