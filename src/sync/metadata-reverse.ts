/**
 * R13.2, metadata: what changed in Cosmos during the contingency, carried back to DynamoDB
 * and proven by the hashes of a sample. Like every reverse flow it never deletes at the
 * destination, and it never overwrites what changed on AWS after the contingency began.
 * A document the forward copy wrote carries the fingerprint of the AWS version it was made from.
 * For each document changed since then, DynamoDB's item is read by key:
 *
 * - DynamoDB holds Azure's item already: nothing to write;
 * - the document is still the forward copy, unchanged on Azure: nothing to carry back, and
 *   whatever AWS did to the item since (a change, a delete, a TTL expiry) stands;
 * - no item, and the document was created on Azure (no fingerprint): put, on condition that
 *   none appears meanwhile;
 * - the version the document was copied from: AWS did not change it, put on condition that it
 *   still holds that version;
 * - anything else — changed or deleted on AWS, or a document of Azure's own over a key AWS
 *   holds — is a conflict: not written, named by key with both sides' times, and counted. So
 *   is a condition refused at write time.
 *
 * Conflicts fail the verification unless `conflicts: 'keep-aws'`: AWS's version stands and
 * each conflict is still reported.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalHash } from '../core/canonical.js';
import { keyOf, type AttributeValue, type Item, type KeySchema } from '../core/items.js';
import type { BulkWriteFailure, BulkWriteOp, BulkWriteResult, DocumentTable, ItemVersion, ScanOptions } from '../core/ports.js';
import { fail, pass, type Outcome } from '../core/result.js';
import type { ExportRecord } from './export-reader.js';
import type { ConflictPolicy, ImportTotals, ItemConflict, ItemConflictReport, MetadataProgress, ReverseMetadataSummary } from '../core/sync-summary.js';
import { importRecords } from './importer.js';
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
  /** Default `fail`. */
  conflicts?: ConflictPolicy;
  /** The DynamoDB attribute holding an item's last write time, when the application keeps one: conflicts show it. */
  updatedAttribute?: string;
  signal?: AbortSignal;
  onProgress?: (progress: MetadataProgress) => void;
}

const CONFLICTS_NAMED = 20;

export async function syncMetadataReverse(opts: ReverseMetadataOptions): Promise<ReverseMetadataSummary> {
  const { signal, schema } = opts;
  const resolution = opts.conflicts ?? 'fail';
  const work = await mkdtemp(join(tmpdir(), 'drsentinel-reverse-'));
  const sampler = new Sampler(join(work, 'sample.jsonl'), opts.sampleRatio);
  const quarantine = new Quarantine(opts.quarantineFile);
  const versions = new WeakMap<Item, ItemVersion>();
  const writer = new GuardedWriter(opts, versions, sampler);
  try {
    const records = async function* (): AsyncGenerator<ExportRecord> {
      let line = 0;
      for await (const item of opts.source.scan({ signal, changedSince: opts.since, versions })) yield { file: `changes:${opts.source.name}`, line: ++line, op: 'put', item };
    };
    const totals = await importRecords(records(), writer, {
      batchSize: opts.batchSize, concurrency: opts.concurrency, quarantine, signal,
      onProgress: (t) => opts.onProgress?.({ phase: 'importing', records: t.records, written: t.written, quarantined: t.quarantined }),
    });
    await sampler.close();
    await quarantine.close();
    const sample = await verifySample(sampler, opts.destination, schema, { signal });
    const conflicts: ItemConflictReport = { count: writer.conflicts, first: writer.firstConflicts, resolution };
    const verification = verdict(opts, { totals, sample, conflicts, writer, quarantine });
    return {
      kind: 'scan', exportTime: new Date().toISOString(), expectedItems: totals.puts, import: totals, staleRemoved: 0,
      quarantineFile: quarantine.count > 0 ? quarantine.path : undefined,
      quarantinedFirst: quarantine.first.map(({ file, line, reason }) => ({ file, line, reason })),
      destinationCount: -1, verification, conflicts,
    };
  } finally {
    await sampler.close();
    await quarantine.close();
    await rm(work, { recursive: true, force: true });
  }
}

interface Outcomes {
  totals: ImportTotals;
  sample: Outcome;
  conflicts: ItemConflictReport;
  writer: GuardedWriter;
  quarantine: Quarantine;
}

function verdict(opts: ReverseMetadataOptions, { totals, sample, conflicts, writer, quarantine }: Outcomes): Outcome {
  const since = opts.since.toISOString();
  const failing = conflicts.resolution === 'fail' ? conflicts.count : 0;
  const problems: string[] = [];
  if (totals.quarantined > 0) problems.push(`${totals.quarantined} changed items could not be written back (first: ${quarantine.first[0]!.reason})`);
  if (failing > 0) problems.push(`${conflictCount(conflicts)} with AWS, not overwritten (first: ${JSON.stringify(conflicts.first[0]!.key)} ${conflicts.first[0]!.reason})`);
  if (sample.status !== 'pass') problems.push(sample.reason);
  const { sampled, matched } = sample.measurements as { sampled: number; matched: number };
  const ratio = totals.records === 0 ? 1 : (totals.records - totals.quarantined - failing - (sampled - matched)) / totals.records;
  const measurements = {
    records: totals.records, written: totals.written, alreadyEqual: writer.alreadyEqual, unchangedOnAzure: writer.unchangedOnAzure,
    conflicts: conflicts.count, quarantined: totals.quarantined, sampled, sampleMatched: matched, ratio,
  };
  const evidence = { since, sample: sample.evidence, quarantined: quarantine.first, conflicts: conflicts.first, conflictResolution: conflicts.resolution };
  if (problems.length > 0) return fail(problems.join('; '), evidence, measurements);
  const kept = conflicts.count > 0 ? `; ${conflictCount(conflicts)} with AWS, AWS's versions kept` : '';
  return pass(`${totals.written} items changed since ${since} carried back; ${sampled} sampled hashes equal${kept}`, evidence, measurements);
}

function conflictCount({ count }: ItemConflictReport): string {
  return count === 1 ? '1 item in conflict' : `${count} items in conflict`;
}

type Plan = { write: BulkWriteOp } | { skip: 'equal' | 'unchanged' } | { conflict: ItemConflict };

/**
 * DynamoDB as the importer sees it: every batch planned against what DynamoDB holds now, each
 * write conditional, conflicts kept aside instead of failing, and only items that reached
 * DynamoDB (or were there already) offered to the sample — a conflict left as it is there is
 * no mismatch. A batch the importer retries is planned again: what its first attempt wrote
 * now reads as equal.
 */
class GuardedWriter implements DocumentTable {
  readonly name: string;
  conflicts = 0;
  alreadyEqual = 0;
  unchangedOnAzure = 0;
  readonly firstConflicts: ItemConflict[] = [];

  constructor(private readonly opts: ReverseMetadataOptions, private readonly versions: WeakMap<Item, ItemVersion>, private readonly sampler: Sampler) {
    this.name = opts.destination.name;
  }

  keySchema(signal?: AbortSignal): Promise<KeySchema> {
    return this.opts.destination.keySchema(signal);
  }

  scan(opts?: ScanOptions): AsyncIterable<Item> {
    return this.opts.destination.scan(opts);
  }

  count(signal?: AbortSignal): Promise<number> {
    return this.opts.destination.count(signal);
  }

  get(key: Item, signal?: AbortSignal): Promise<Item | undefined> {
    return this.opts.destination.get(key, signal);
  }

  async bulkWrite(ops: BulkWriteOp[], signal?: AbortSignal): Promise<BulkWriteResult> {
    const plans = await Promise.all(ops.map(async (op) => ({ op, plan: await this.plan(op, signal) })));
    const guarded = new Map<BulkWriteOp, BulkWriteOp>();
    const conflicts: ItemConflict[] = [];
    for (const { op, plan } of plans) {
      if ('write' in plan) guarded.set(plan.write, op);
      else if ('conflict' in plan) conflicts.push(plan.conflict);
    }
    const result = await this.opts.destination.bulkWrite([...guarded.keys()], signal);
    // Counted only now: a batch whose write throws is planned afresh when the importer retries it.
    const failed: BulkWriteFailure[] = [];
    for (const f of result.failed) {
      if (f.conflict) conflicts.push(this.conflict(f.op.item, undefined, f.reason));
      else failed.push({ ...f, op: guarded.get(f.op) ?? f.op });
      guarded.delete(f.op);
    }
    this.record(conflicts);
    const skipped = (kind: 'equal' | 'unchanged') => plans.filter(({ plan }) => 'skip' in plan && plan.skip === kind).map(({ op }) => op.item);
    const equal = skipped('equal');
    this.alreadyEqual += equal.length;
    this.unchangedOnAzure += skipped('unchanged').length;
    for (const item of [...[...guarded.keys()].map((op) => op.item), ...equal]) await this.sampler.offer(item);
    return { ...result, failed };
  }

  private async plan(op: BulkWriteOp, signal?: AbortSignal): Promise<Plan> {
    const aws = await this.opts.destination.get(op.item, signal);
    const azureHash = canonicalHash(op.item);
    const awsHash = aws && canonicalHash(aws);
    if (awsHash === azureHash) return { skip: 'equal' };
    const source = this.versions.get(op.item)?.sourceHash;
    if (source === azureHash) return { skip: 'unchanged' };
    if (!aws && !source) return { write: { ...op, expect: { absent: true } } };
    if (aws && source === awsHash) return { write: { ...op, expect: { equals: aws } } };
    const since = this.opts.since.toISOString();
    const reason = !source
      ? 'AWS holds the key, and the document written on Azure does not say which AWS version it came from'
      : aws ? `changed on AWS after ${since}` : `deleted on AWS after ${since}`;
    return { conflict: this.conflict(op.item, aws, reason) };
  }

  private conflict(item: Item, aws: Item | undefined, reason: string): ItemConflict {
    const conflict: ItemConflict = { key: keyOf(item, this.opts.schema), reason };
    const azureTime = this.versions.get(item)?.modified;
    if (azureTime) conflict.azureTime = azureTime.toISOString();
    const awsTime = this.opts.updatedAttribute && aws ? timeOf(aws[this.opts.updatedAttribute]) : undefined;
    if (awsTime) conflict.awsTime = awsTime;
    return conflict;
  }

  private record(conflicts: ItemConflict[]): void {
    this.conflicts += conflicts.length;
    this.firstConflicts.push(...conflicts.slice(0, CONFLICTS_NAMED - this.firstConflicts.length));
  }
}

/**
 * A write time as the application stored it: a string as it is, a number as epoch seconds or,
 * past 10^11 (the year 5138 in seconds, 1973 in milliseconds), epoch milliseconds.
 */
function timeOf(value: AttributeValue | undefined): string | undefined {
  if (value && 'S' in value) return value.S;
  if (!value || !('N' in value)) return undefined;
  const n = Number(value.N);
  const ms = Math.abs(n) < 1e11 ? n * 1000 : n;
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : value.N;
}
