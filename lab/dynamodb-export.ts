import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoWire, WireItem } from './dynamodb-wire.js';

/**
 * The export writer of the DynamoDB twin: what ExportTableToPointInTime leaves in S3, in the
 * documented layout (AWSDynamoDB/<exportId>/ with _started, data/*.json.gz, manifest-files.json,
 * manifest-summary.json and their .md5 files). Items go from DynamoDB's wire to the data files
 * untouched (see dynamodb-wire.ts).
 */

/** One write seen by the DynamoDB front: which item, when (µs since the epoch), and whether it deleted it. */
export interface ChangeRecord {
  table: string;
  keys: WireItem;
  micros: number;
  deleted: boolean;
}

/** The writes that passed through the front, append-only JSON lines: what incremental exports read. */
export class ChangeLog {
  #queue: Promise<void> = Promise.resolve();
  #lastMicros = 0;

  private constructor(readonly file: string) {}

  static async open(file: string): Promise<ChangeLog> {
    await mkdir(path.dirname(file), { recursive: true });
    return new ChangeLog(file);
  }

  /** A strictly increasing write time, so that every change has its own instant. */
  nextMicros(): number {
    this.#lastMicros = Math.max(this.#lastMicros + 1, Date.now() * 1000);
    return this.#lastMicros;
  }

  append(records: ChangeRecord[]): Promise<void> {
    if (records.length === 0) return this.#queue;
    const lines = records.map((r) => JSON.stringify(r) + '\n').join('');
    this.#queue = this.#queue.catch(() => undefined).then(() => appendFile(this.file, lines));
    return this.#queue;
  }

  /** Changes of `table` in [fromMicros, toMicros), the last one per item. */
  async latestInWindow(table: string, fromMicros: number, toMicros: number): Promise<ChangeRecord[]> {
    await this.#queue.catch(() => undefined);
    const latest = new Map<string, ChangeRecord>();
    let lines;
    try {
      lines = createInterface({ input: createReadStream(this.file), crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line) continue;
        const record = JSON.parse(line) as ChangeRecord;
        if (record.table !== table || record.micros < fromMicros || record.micros >= toMicros) continue;
        const id = canonicalKey(record.keys);
        const seen = latest.get(id);
        if (!seen || seen.micros < record.micros) latest.set(id, record);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return [...latest.values()].sort((a, b) => a.micros - b.micros);
  }
}

function canonicalKey(keys: WireItem): string {
  return JSON.stringify(Object.keys(keys).sort().map((name) => [name, keys[name]]));
}

export interface ExportJob {
  exportId: string;
  exportArn: string;
  tableName: string;
  tableArn: string;
  tableId: string;
  s3Bucket: string;
  s3Prefix?: string;
  s3SseAlgorithm: string;
  s3SseKmsKeyId?: string;
  /** epoch milliseconds */
  startTime: number;
  exportTime: number;
  incremental?: { fromTime: number; toTime: number; viewType: 'NEW_IMAGE' | 'NEW_AND_OLD_IMAGES' };
}

export interface ExportOutcome {
  itemCount: number;
  billedSizeBytes: number;
  manifestSummaryKey: string;
  endTime: number;
}

export interface ExportDeps {
  dynamodb: DynamoWire;
  s3: S3Client;
  changes: ChangeLog;
  itemsPerFile?: number;
  scanSegments?: number;
}

export async function writeExport(job: ExportJob, deps: ExportDeps): Promise<ExportOutcome> {
  const root = `${job.s3Prefix ? `${job.s3Prefix.replace(/\/+$/, '')}/` : ''}AWSDynamoDB/${job.exportId}`;
  const put = async (Key: string, body: Buffer | string) => {
    // A Buffer, so that the SDK knows the length of even an empty body.
    const Body = Buffer.from(body);
    const out = await deps.s3.send(new PutObjectCommand({ Bucket: job.s3Bucket, Key, Body }));
    return (out.ETag ?? '').replace(/"/g, '');
  };
  await put(`${root}/_started`, '');

  const files = new DataFiles(root, deps.itemsPerFile ?? 1000, put);
  if (job.incremental) await incrementalLines(job, deps, files);
  else await fullLines(job, deps, files);
  const manifest = files.written();

  const manifestFiles = manifest.map((f) => JSON.stringify(f) + '\n').join('');
  const manifestFilesKey = `${root}/manifest-files.json`;
  await put(manifestFilesKey, manifestFiles);
  await put(`${root}/manifest-files.md5`, md5(manifestFiles).toString('hex'));

  const endTime = Date.now();
  const itemCount = manifest.reduce((sum, f) => sum + f.itemCount, 0);
  const summary = JSON.stringify(manifestSummary(job, { endTime, itemCount, billedSizeBytes: files.rawBytes, manifestFilesKey }));
  const manifestSummaryKey = `${root}/manifest-summary.json`;
  await put(manifestSummaryKey, summary);
  await put(`${root}/manifest-summary.md5`, md5(summary).toString('hex'));
  return { itemCount, billedSizeBytes: files.rawBytes, manifestSummaryKey, endTime };
}

function manifestSummary(
  job: ExportJob,
  o: { endTime: number; itemCount: number; billedSizeBytes: number; manifestFilesKey: string },
): Record<string, unknown> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const common = {
    exportArn: job.exportArn,
    startTime: iso(job.startTime),
    endTime: iso(o.endTime),
    tableArn: job.tableArn,
    tableId: job.tableId,
    exportTime: iso(job.exportTime),
    s3Bucket: job.s3Bucket,
    s3Prefix: job.s3Prefix ?? null,
    s3SseAlgorithm: job.s3SseAlgorithm,
    s3SseKmsKeyId: job.s3SseKmsKeyId ?? null,
    manifestFilesS3Key: o.manifestFilesKey,
    billedSizeBytes: o.billedSizeBytes,
    itemCount: o.itemCount,
    outputFormat: 'DYNAMODB_JSON',
  };
  if (!job.incremental) return { version: '2020-06-30', ...common };
  return {
    version: '2023-08-01',
    ...common,
    exportFromTime: iso(job.incremental.fromTime),
    exportToTime: iso(job.incremental.toTime),
    outputView: job.incremental.viewType,
    exportType: 'INCREMENTAL_EXPORT',
  };
}

/**
 * A full export: a parallel Scan, one series of files per segment (AWS writes at least one file
 * per partition, empty ones included). The twin reads the table as it is when the export runs,
 * not as it was at ExportTime.
 */
async function fullLines(job: ExportJob, deps: ExportDeps, files: DataFiles): Promise<void> {
  const segments = deps.scanSegments ?? 4;
  await Promise.all(
    Array.from({ length: segments }, async (_, segment) => {
      const file = files.series();
      let ExclusiveStartKey: unknown;
      do {
        const page = await deps.dynamodb('Scan', { TableName: job.tableName, Segment: segment, TotalSegments: segments, ConsistentRead: true, ExclusiveStartKey });
        for (const item of (page.Items ?? []) as unknown[]) await file.add({ Item: item });
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      await file.close();
    }),
  );
}

/**
 * An incremental export: the last change of each item written in [ExportFromTime, ExportToTime).
 * The twin keeps keys only, so an item's NewImage is read when the export runs (good enough for
 * a twin: a later write shows through) and no OldImage is written; a deleted item has no NewImage.
 */
async function incrementalLines(job: ExportJob, deps: ExportDeps, files: DataFiles): Promise<void> {
  const window = job.incremental!;
  const changes = await deps.changes.latestInWindow(job.tableName, window.fromTime * 1000, window.toTime * 1000);
  const file = files.series();
  for (const change of changes) {
    const line: Record<string, unknown> = { Metadata: { WriteTimestampMicros: { N: String(change.micros) } }, Keys: change.keys };
    if (!change.deleted) {
      const current = await deps.dynamodb('GetItem', { TableName: job.tableName, Key: change.keys, ConsistentRead: true });
      if (current.Item) line.NewImage = current.Item;
    }
    await file.add(line);
  }
  await file.close();
}

interface ManifestFileLine {
  itemCount: number;
  md5Checksum: string;
  etag: string;
  dataFileS3Key: string;
}

/** Gzipped JSON-lines data files of at most `itemsPerFile` lines each. */
class DataFiles {
  readonly #written: ManifestFileLine[] = [];
  rawBytes = 0;

  constructor(
    private readonly root: string,
    private readonly itemsPerFile: number,
    private readonly put: (key: string, body: Buffer) => Promise<string>,
  ) {}

  series() {
    let lines: string[] = [];
    let wroteOne = false;
    const flush = async () => {
      const text = lines.join('');
      const itemCount = lines.length;
      lines = [];
      wroteOne = true;
      this.rawBytes += Buffer.byteLength(text);
      const gz = gzipSync(text);
      const dataFileS3Key = `${this.root}/data/${randomName()}.json.gz`;
      const etag = await this.put(dataFileS3Key, gz);
      this.#written.push({ itemCount, md5Checksum: md5(gz).toString('base64'), etag, dataFileS3Key });
    };
    return {
      add: async (line: unknown) => {
        lines.push(JSON.stringify(line) + '\n');
        if (lines.length >= this.itemsPerFile) await flush();
      },
      close: async () => {
        if (lines.length > 0 || !wroteOne) await flush();
      },
    };
  }

  written(): ManifestFileLine[] {
    return this.#written;
  }
}

/** A data file name as AWS makes them: 26 random lowercase letters and digits. */
function randomName(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(26)].map((b) => alphabet[b % alphabet.length]).join('');
}

function md5(data: Buffer | string): Buffer {
  return createHash('md5').update(data).digest();
}

