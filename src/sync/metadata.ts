/**
 * The metadata engine (R3): DynamoDB → export (full, then incremental) into the exports
 * bucket → copied to the Azure staging container by the objects engine → read, checked and
 * transformed on the fly → bulk-imported into Cosmos → verified (count, and a random sample
 * of canonical hashes). Only a verified import moves the chain forward; RPO is measured from
 * the export time of the last verified import.
 *
 * The chain of incremental windows has no gap and no overlap: each window starts where the
 * last verified one ended, and an export whose manifest says otherwise is refused.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalForm } from '../core/canonical.js';
import type { Clock } from '../core/clock.js';
import type { ExportDescription, ExportKind, ManifestFile, TableExporter } from '../core/exports.js';
import { keyOf, type Item, type KeySchema } from '../core/items.js';
import type { DocumentTable, ObjectStore } from '../core/ports.js';
import { fail, pass, type Outcome } from '../core/result.js';
import { IntegrityError, withRetry } from '../core/retry.js';
import { exportFolder, readDataFile, readManifest, type ExportRecord } from './export-reader.js';
import type { ChainPoint, DeleteBrake, ImportTotals, MetadataProgress, MetadataSyncSummary } from '../core/sync-summary.js';
import { importRecords } from './importer.js';
import { DEFAULT_DELETE_LIMITS, deleteVerdict, syncObjects, type DeleteLimits } from './objects.js';
import { Quarantine } from './quarantine.js';
import { Sampler, verifySample } from './sample.js';


export interface MetadataSyncOptions {
  runId: string;
  source: DocumentTable;
  destination: DocumentTable;
  mode: 'point-in-time' | 'scan';
  /** Needed in point-in-time mode. */
  export?: {
    exporter: TableExporter;
    bucket: ObjectStore;
    bucketName: string;
    prefix: string;
    staging: ObjectStore;
    pollIntervalMs: number;
    timeoutMs: number;
    /** AWS refuses incremental windows shorter than 15 minutes or longer than 24 hours. */
    minWindowMs: number;
    maxWindowMs: number;
    transfers: number;
    checkers: number;
  };
  previous?: ChainPoint;
  sampleRatio: number;
  batchSize: number;
  concurrency: number;
  quarantineFile: string;
  clock: Clock;
  signal?: AbortSignal;
  onProgress?: (progress: MetadataProgress) => void;
  /** Full imports and scans: the brakes on removing stale items (sync.maxDeleteRatio, …). */
  deletes?: DeleteLimits;
}

/** An export that would leave a gap in the chain of incremental windows, or overlap it. */
export class ChainError extends IntegrityError {}

function plan(opts: MetadataSyncOptions, now: Date): { kind: ExportKind; from?: Date; to?: Date; exportTime?: Date } {
  const e = opts.export!;
  if (!opts.previous) return { kind: 'full', exportTime: now };
  const from = new Date(opts.previous.through);
  const span = now.getTime() - from.getTime();
  // Too soon for the shortest window AWS allows: only a full export can bring the latest.
  if (span < e.minWindowMs) return { kind: 'full', exportTime: now };
  // Longer than the longest window (a day missed, or a daily run a few ms late): the chain
  // goes on one full window at a time, and the run says it is still behind.
  return { kind: 'incremental', from, to: new Date(Math.min(now.getTime(), from.getTime() + e.maxWindowMs)) };
}

async function awaitExport(opts: MetadataSyncOptions, started: ExportDescription): Promise<ExportDescription> {
  const e = opts.export!;
  const deadline = Date.now() + e.timeoutMs;
  let current = started;
  while (current.status === 'in-progress') {
    if (Date.now() > deadline) throw new Error(`export ${current.id} still in progress after ${Math.round(e.timeoutMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, e.pollIntervalMs));
    opts.signal?.throwIfAborted();
    current = await withRetry(() => e.exporter.describeExport(started.arn, opts.signal), { signal: opts.signal });
  }
  if (current.status === 'failed') throw new Error(`export ${current.id} failed: ${current.failure ?? 'no reason given'}`);
  return current;
}

/** Both the export's description and its manifest must state the requested window, exactly. */
function checkChain(requested: ReturnType<typeof plan>, done: ExportDescription, manifest: { exportFromTime?: string; exportToTime?: string }): void {
  if (requested.kind !== 'incremental') return;
  const stated = [
    { from: done.from, to: done.to },
    { from: manifest.exportFromTime ? new Date(manifest.exportFromTime) : undefined, to: manifest.exportToTime ? new Date(manifest.exportToTime) : undefined },
  ].filter((w) => w.from || w.to);
  if (stated.length === 0) throw new ChainError(`incremental export ${done.id} does not say which window it covers`);
  for (const { from, to } of stated) {
    if (!from || !to) throw new ChainError(`incremental export ${done.id} states only one end of its window`);
    const gap = from.getTime() - requested.from!.getTime();
    if (gap > 0) throw new ChainError(`incremental export ${done.id} starts at ${from.toISOString()}, ${gap / 1000} s after the last verified import (${requested.from!.toISOString()}): the changes in between would be lost`);
    if (gap < 0) throw new ChainError(`incremental export ${done.id} starts at ${from.toISOString()}, overlapping the last verified import (${requested.from!.toISOString()})`);
    if (to.getTime() !== requested.to!.getTime()) throw new ChainError(`incremental export ${done.id} ends at ${to.toISOString()}, not at the requested ${requested.to!.toISOString()}`);
  }
}

/**
 * Refuses the export before anything is imported when a staged data file's stored MD5 is not
 * the manifest's. Stores that do not vouch for an MD5 are left to the check made while reading.
 */
async function checkStagedFiles(staging: ObjectStore, files: ManifestFile[], signal?: AbortSignal): Promise<void> {
  for (const file of files) {
    const info = await withRetry(() => staging.head(file.dataFileS3Key, signal), { signal });
    if (!info) throw new IntegrityError(`${file.dataFileS3Key} is listed in the manifest but was not staged to ${staging.name}`);
    const expected = Buffer.from(file.md5Checksum, 'base64').toString('hex');
    if (info.md5 && info.md5 !== expected) throw new IntegrityError(`${file.dataFileS3Key}: MD5 ${info.md5} at ${staging.name} differs from the manifest's ${expected}`);
  }
}

async function* exportRecords(staging: ObjectStore, files: ManifestFile[], schema: KeySchema, signal?: AbortSignal): AsyncGenerator<ExportRecord> {
  for (const file of files) yield* readDataFile(staging, file.dataFileS3Key, file, schema, signal);
}

async function* scanRecords(source: DocumentTable, signal?: AbortSignal): AsyncGenerator<ExportRecord> {
  let line = 0;
  for await (const item of source.scan({ signal, segments: 4 })) yield { file: `scan:${source.name}`, line: ++line, op: 'put', item };
}

interface StaleRemoval {
  removed: number;
  brake?: DeleteBrake;
  deletesAllowed?: true;
}

/**
 * Full imports: items at the destination that the source no longer has are removed — after
 * the delete brakes (deleteVerdict), so they are counted first. Their keys wait in the `seen`
 * database, not in memory. The brakes weigh them against the destination as this pass finds
 * it, the items just imported included.
 */
async function removeStale(opts: MetadataSyncOptions, seen: Database.Database, schema: KeySchema, sourceCount: number): Promise<StaleRemoval> {
  const { destination, signal } = opts;
  const { destinationCount, doomed } = await noteStale(destination, seen, schema, signal);
  const verdict = deleteVerdict({
    flow: 'metadata', noun: 'items', source: opts.source.name, destination: destination.name, sourceCount, destinationCount, planned: doomed,
  }, opts.deletes ?? DEFAULT_DELETE_LIMITS);
  if (verdict.brake) return { removed: 0, brake: verdict.brake };
  return { removed: await removeNoted(destination, seen, signal), ...verdict };
}

/** Scans the destination once: counts it, and notes each key the source did not have. */
async function noteStale(destination: DocumentTable, seen: Database.Database, schema: KeySchema, signal?: AbortSignal): Promise<{ destinationCount: number; doomed: number }> {
  seen.exec('CREATE TABLE IF NOT EXISTS stale (key TEXT NOT NULL)');
  const known = seen.prepare('SELECT 1 FROM seen WHERE key = ?');
  const note = seen.prepare('INSERT INTO stale (key) VALUES (?)');
  let destinationCount = 0;
  let doomed = 0;
  for await (const item of destination.scan({ signal })) {
    destinationCount++;
    const key = keyOf(item, schema);
    if (known.get(canonicalForm(key))) continue;
    note.run(JSON.stringify(key));
    doomed++;
  }
  return { destinationCount, doomed };
}

const STALE_BATCH = 100;

async function removeNoted(destination: DocumentTable, seen: Database.Database, signal?: AbortSignal): Promise<number> {
  const page = seen.prepare<[number, number], { id: number; key: string }>('SELECT rowid AS id, key FROM stale WHERE rowid > ? ORDER BY rowid LIMIT ?');
  let removed = 0;
  for (let rows = page.all(0, STALE_BATCH); rows.length > 0; rows = page.all(rows.at(-1)!.id, STALE_BATCH)) {
    const ops = rows.map((row) => ({ type: 'delete' as const, item: JSON.parse(row.key) as Item }));
    const result = await withRetry(() => destination.bulkWrite(ops, signal), { signal });
    if (result.failed.length) throw new Error(`${result.failed.length} stale items could not be removed: ${result.failed[0]!.reason}`);
    removed += result.deleted;
  }
  return removed;
}

/** Where the records come from, and what the chain will stand at once they are verified. */
interface SourceRead {
  kind: MetadataSyncSummary['kind'];
  records: AsyncIterable<ExportRecord>;
  /** Full exports state their item count; otherwise known only after the import. */
  expectedItems?: number;
  through: Date;
  exportId?: string;
  window?: MetadataSyncSummary['window'];
  behind: boolean;
}

type Report = (phase?: MetadataProgress['phase']) => void;

/** Point-in-time: the export is made, awaited, staged at Azure and checked before any record is read. */
async function exportAndStage(opts: MetadataSyncOptions, schema: KeySchema, report: Report): Promise<SourceRead> {
  const { signal } = opts;
  const e = opts.export;
  if (!e) throw new Error('point-in-time mode needs the export settings');
  const now = opts.clock.now();
  const requested = plan(opts, now);
  report('exporting');
  // The client token makes a retried request the same export, never a second one.
  const started = await withRetry(() => e.exporter.startExport({
    kind: requested.kind, bucket: e.bucketName, prefix: e.prefix, exportTime: requested.exportTime,
    from: requested.from, to: requested.to, clientToken: opts.runId, signal,
  }), { signal });
  const done = await awaitExport(opts, started);
  if (!done.manifestKey) throw new Error(`export ${done.id} completed without a manifest`);
  report('staging');
  const staged = await syncObjects({
    flow: 'metadata-staging', mode: 'copy', source: e.bucket, destination: e.staging,
    prefix: exportFolder(done.manifestKey), transfers: e.transfers, checkers: e.checkers, signal,
  });
  if (staged.failed > 0) throw new Error(`${staged.failed} export files could not be staged: ${staged.failures[0]?.key}: ${staged.failures[0]?.reason}`);
  const { summary, files } = await readManifest(e.staging, done.manifestKey, signal);
  checkChain(requested, done, summary);
  await checkStagedFiles(e.staging, files, signal);
  const incremental = requested.kind === 'incremental';
  return {
    kind: requested.kind,
    records: exportRecords(e.staging, files, schema, signal),
    expectedItems: requested.kind === 'full' ? summary.itemCount : undefined,
    through: incremental ? requested.to! : new Date(summary.exportTime ?? done.exportTime ?? requested.exportTime!),
    exportId: done.id,
    window: incremental ? { from: requested.from!.toISOString(), to: requested.to!.toISOString() } : undefined,
    behind: requested.to !== undefined && requested.to.getTime() < now.getTime(),
  };
}

function readSource(opts: MetadataSyncOptions, schema: KeySchema, report: Report): Promise<SourceRead> | SourceRead {
  if (opts.mode === 'point-in-time') return exportAndStage(opts, schema, report);
  return { kind: 'scan', records: scanRecords(opts.source, opts.signal), through: opts.clock.now(), behind: false };
}

/**
 * What a run keeps on disk while it goes: the keys seen (for the stale items of a full import),
 * the sample and the quarantine. Memory does not grow with the table.
 */
class Workspace {
  private constructor(
    readonly dir: string,
    readonly seen: Database.Database,
    readonly sampler: Sampler,
    readonly quarantine: Quarantine,
  ) {}

  static async open(opts: MetadataSyncOptions): Promise<Workspace> {
    const dir = await mkdtemp(join(tmpdir(), 'drsentinel-metadata-'));
    const seen = new Database(join(dir, 'seen.db'));
    seen.pragma('journal_mode = OFF');
    seen.pragma('synchronous = OFF');
    seen.exec('CREATE TABLE seen (key TEXT PRIMARY KEY) WITHOUT ROWID');
    return new Workspace(dir, seen, new Sampler(join(dir, 'sample.jsonl'), opts.sampleRatio), new Quarantine(opts.quarantineFile));
  }

  async close(): Promise<void> {
    this.seen.close();
    await this.sampler.close();
    await this.quarantine.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Every record into the destination; each item's key remembered (full and scan) and offered to the sample. */
async function importAll(opts: MetadataSyncOptions, read: SourceRead, schema: KeySchema, space: Workspace, progress: MetadataProgress, report: Report): Promise<ImportTotals> {
  report('importing');
  const remember = space.seen.prepare('INSERT OR IGNORE INTO seen (key) VALUES (?)');
  const totals = await importRecords(read.records, opts.destination, {
    batchSize: opts.batchSize, concurrency: opts.concurrency, quarantine: space.quarantine, signal: opts.signal,
    onItem: async (item) => {
      if (read.kind !== 'incremental') remember.run(canonicalForm(keyOf(item, schema)));
      await space.sampler.offer(item);
    },
    onProgress: (t) => {
      progress.records = t.records;
      progress.written = t.written;
      progress.quarantined = t.quarantined;
      report();
    },
  });
  await space.sampler.close();
  await space.quarantine.close();
  return totals;
}

interface Verified {
  verification: Outcome;
  destinationCount: number;
  expectedItems?: number;
}

/**
 * The destination proves the import: its count is the one expected (the export's, the scan's,
 * or the last verified count moved by what this window created and deleted), nothing was
 * quarantined, no brake held, and the sampled hashes are equal.
 */
async function verifyImport(opts: MetadataSyncOptions, read: SourceRead, totals: ImportTotals, stale: StaleRemoval, schema: KeySchema, space: Workspace): Promise<Verified> {
  const { signal } = opts;
  const { kind } = read;
  const { quarantine } = space;
  let expectedItems = read.expectedItems ?? (kind === 'scan' ? totals.puts : undefined);
  const destinationCount = await withRetry(() => opts.destination.count(signal), { signal });
  const problems: string[] = [];
  if (stale.brake) problems.push(stale.brake.reason);
  if (kind === 'incremental') {
    if (totals.created === undefined) problems.push(`${opts.destination.name} cannot tell created from replaced items, so the count cannot be proven`);
    else expectedItems = opts.previous!.count + totals.created - totals.deleted;
  }
  if (expectedItems !== undefined && destinationCount !== expectedItems) {
    problems.push(`${destinationCount} items at ${opts.destination.name}, ${expectedItems} expected`);
  }
  if (totals.quarantined > 0) problems.push(`${totals.quarantined} records quarantined (first: ${quarantine.first[0]!.file} line ${quarantine.first[0]!.line}: ${quarantine.first[0]!.reason})`);
  const sample = await verifySample(space.sampler, opts.destination, schema, { signal, wholeSource: kind !== 'incremental' });
  if (sample.status !== 'pass') problems.push(sample.reason);

  const imported = totals.records - totals.quarantined - (sample.measurements.sampled! - sample.measurements.matched!);
  // Nothing imported is a ratio of 1 only when the destination proves to hold what it should.
  const ratio = totals.records === 0 ? (problems.length === 0 ? 1 : 0) : Math.max(0, imported / totals.records);
  const measurements = { records: totals.records, written: totals.written, deleted: totals.deleted, quarantined: totals.quarantined, expectedItems: expectedItems ?? -1, destinationCount, sampled: sample.measurements.sampled!, sampleMatched: sample.measurements.matched!, ratio };
  const evidence = { kind, exportId: read.exportId, window: read.window, through: read.through.toISOString(), sample: sample.evidence, quarantined: quarantine.first };
  const verification = problems.length === 0
    ? pass(`${destinationCount} items at ${opts.destination.name} as expected; ${sample.measurements.sampled} sampled hashes equal`, evidence, measurements)
    : fail(problems.join('; '), evidence, measurements);
  return { verification, destinationCount, expectedItems };
}

/** Read the source (export or scan), import, remove what a full import left stale, verify. */
export async function syncMetadata(opts: MetadataSyncOptions): Promise<MetadataSyncSummary> {
  const progress: MetadataProgress = { phase: 'exporting', records: 0, written: 0, quarantined: 0 };
  const report: Report = (phase) => {
    if (phase) progress.phase = phase;
    opts.onProgress?.({ ...progress });
  };
  const schema = await opts.source.keySchema(opts.signal);
  const space = await Workspace.open(opts);
  try {
    const read = await readSource(opts, schema, report);
    const totals = await importAll(opts, read, schema, space, progress, report);
    let stale: StaleRemoval = { removed: 0 };
    // A quarantined record's key was never seen: its item would count as stale.
    if (read.kind !== 'incremental' && totals.quarantined === 0) {
      report('cleaning');
      stale = await removeStale(opts, space.seen, schema, totals.records);
    }
    report('verifying');
    const { verification, destinationCount, expectedItems } = await verifyImport(opts, read, totals, stale, schema, space);
    report('done');
    const { removed: staleRemoved, ...braking } = stale;
    const through = read.through.toISOString();
    const { quarantine } = space;
    return {
      kind: read.kind, exportId: read.exportId, exportTime: through, window: read.window, expectedItems: expectedItems ?? -1, import: totals, staleRemoved, ...braking,
      quarantineFile: quarantine.count > 0 ? quarantine.path : undefined,
      quarantinedFirst: quarantine.first.map(({ file, line, reason }) => ({ file, line, reason })),
      destinationCount, verification,
      chain: verification.status === 'pass' ? { through, count: destinationCount } : undefined,
      behind: read.behind,
    };
  } finally {
    await space.close();
  }
}
