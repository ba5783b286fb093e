import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { DescribeTableCommand, DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { ChangeLog, writeExport, type ChangeRecord, type ExportJob } from './dynamodb-export.js';
import type { FaultSwitch } from './faults.js';
import { dynamoWire, type DynamoWire, type WireItem } from './dynamodb-wire.js';
import { JsonState } from './json-state.js';
import { startProxy, type LocalAnswer, type ProxyHandle, type ProxyRequest, type ProxyResponse } from './proxy.js';

/**
 * The DynamoDB front over dynalite: adds point-in-time recovery switches and the export API
 * (ExportTableToPointInTime, DescribeExport, ListExports), which dynalite lacks, and records the
 * writes passing through so that incremental exports have something to export.
 */
export interface DynamoFrontOptions {
  upstream: string;
  host: string;
  stateDir: string;
  faults: FaultSwitch;
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** Shortest incremental export window; AWS's is 15 minutes, tests use less. */
  minIncrementalWindowMs?: number;
}

const AWS_MIN_INCREMENTAL_WINDOW_MS = 15 * 60 * 1000;
const MAX_INCREMENTAL_WINDOW_MS = 24 * 60 * 60 * 1000;
const TARGET_PREFIX = 'DynamoDB_20120810.';
const LOCAL_OPS = new Set(['ExportTableToPointInTime', 'DescribeExport', 'ListExports', 'DescribeContinuousBackups', 'UpdateContinuousBackups']);
const WRITE_OPS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/** How AWS names an export's S3 failures. */
const S3_FAILURE_CODES: Record<string, string> = { NoSuchBucket: 'S3NoSuchBucket', AccessDenied: 'S3AccessDenied' };

/** Per table: its id and since when (epoch ms) point-in-time recovery is on. */
type TableState = Record<string, { tableId: string; pitrSince?: number }>;
/** An ExportDescription as the DynamoDB JSON protocol carries it (times in epoch seconds). */
type ExportDescription = Record<string, unknown> & { ExportArn: string; ExportStatus: string; TableArn: string; ClientToken?: string };

export async function startDynamoFront(o: DynamoFrontOptions): Promise<ProxyHandle> {
  const front = new DynamoFront(o, {
    tables: await JsonState.load<TableState>(path.join(o.stateDir, 'dynamodb-tables.json'), {}),
    exports: await JsonState.load<ExportDescription[]>(path.join(o.stateDir, 'dynamodb-exports.json'), []),
    changes: await ChangeLog.open(path.join(o.stateDir, 'dynamodb-changes.jsonl')),
  });
  await front.failInterrupted();
  const proxy = await startProxy({
    upstream: o.upstream,
    host: o.host,
    service: 'dynamodb',
    faults: o.faults,
    intercept: {
      bufferRequest: (req) => LOCAL_OPS.has(operation(req)) || WRITE_OPS.has(operation(req)),
      answer: (req) => (LOCAL_OPS.has(operation(req)) ? front.answer(operation(req), parseBody(req)) : undefined),
      bufferResponse: (req, status) => status === 200 && operation(req) === 'BatchWriteItem',
      response: (req, res) => front.observe(operation(req), req, res),
    },
  });
  return {
    url: proxy.url,
    close: async () => {
      await proxy.close();
      await front.close();
    },
  };
}

function operation(req: ProxyRequest): string {
  const target = req.headers['x-amz-target'];
  return typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
}

function parseBody(req: ProxyRequest): Record<string, unknown> {
  try {
    return JSON.parse(req.body?.toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    return {};
  }
}

class DynamoError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

class DynamoFront {
  readonly #dynamodb: DynamoDBClient;
  readonly #wire: DynamoWire;
  readonly #s3: S3Client;
  readonly #keyNames = new Map<string, string[]>();
  readonly #running = new Set<Promise<void>>();

  constructor(
    private readonly o: DynamoFrontOptions,
    private readonly state: { tables: JsonState<TableState>; exports: JsonState<ExportDescription[]>; changes: ChangeLog },
  ) {
    const credentials = { accessKeyId: o.s3.accessKeyId, secretAccessKey: o.s3.secretAccessKey };
    this.#dynamodb = new DynamoDBClient({ endpoint: o.upstream, region: o.s3.region, credentials });
    this.#wire = dynamoWire({ endpoint: o.upstream, region: o.s3.region, accessKeyId: o.s3.accessKeyId });
    this.#s3 = new S3Client({
      endpoint: o.s3.endpoint,
      region: o.s3.region,
      credentials,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Exports cut short by a stop of the front cannot resume: they failed, as they would in AWS. */
  async failInterrupted(): Promise<void> {
    const interrupted = this.state.exports.value.filter((e) => e.ExportStatus === 'IN_PROGRESS');
    for (const e of interrupted) Object.assign(e, { ExportStatus: 'FAILED', FailureCode: 'InternalError', FailureMessage: 'the lab stopped during the export', EndTime: nowSeconds() });
    if (interrupted.length > 0) await this.state.exports.save();
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#running]);
    this.#dynamodb.destroy();
    this.#s3.destroy();
  }

  async answer(op: string, body: Record<string, unknown>): Promise<LocalAnswer> {
    try {
      switch (op) {
        case 'DescribeContinuousBackups':
          return ok(await this.#continuousBackups(tableNameOf(body.TableName)));
        case 'UpdateContinuousBackups':
          return ok(await this.#updateContinuousBackups(body));
        case 'ExportTableToPointInTime':
          return ok({ ExportDescription: await this.#startExport(body) });
        case 'DescribeExport':
          return ok({ ExportDescription: this.#export(String(body.ExportArn ?? '')) });
        default:
          return ok(this.#listExports(body));
      }
    } catch (err) {
      if (err instanceof DynamoError) return dynamoError(err.type, err.message);
      throw err;
    }
  }

  async #tableState(table: string) {
    const states = this.state.tables.value;
    if (!(await this.#keys(table))) throw new DynamoError('TableNotFoundException', `Table not found: ${table}`);
    if (!states[table]) {
      states[table] = { tableId: randomUUID() };
      await this.state.tables.save();
    }
    return states[table]!;
  }

  async #continuousBackups(table: string) {
    const state = await this.#tableState(table);
    const on = state.pitrSince !== undefined;
    return {
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: on
          ? { PointInTimeRecoveryStatus: 'ENABLED', EarliestRestorableDateTime: state.pitrSince! / 1000, LatestRestorableDateTime: nowSeconds(), RecoveryPeriodInDays: 35 }
          : { PointInTimeRecoveryStatus: 'DISABLED' },
      },
    };
  }

  async #updateContinuousBackups(body: Record<string, unknown>) {
    const table = tableNameOf(body.TableName);
    const spec = body.PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: unknown } | undefined;
    if (typeof spec?.PointInTimeRecoveryEnabled !== 'boolean') {
      throw new DynamoError('ValidationException', 'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is required');
    }
    const state = await this.#tableState(table);
    if (spec.PointInTimeRecoveryEnabled) state.pitrSince ??= Date.now();
    else delete state.pitrSince;
    await this.state.tables.save();
    return this.#continuousBackups(table);
  }

  async #startExport(body: Record<string, unknown>): Promise<ExportDescription> {
    const tableArn = String(body.TableArn ?? '');
    const arn = /^arn:aws[\w-]*:dynamodb:([\w-]+):(\d+):table\/([\w.-]+)$/.exec(tableArn);
    if (!arn) throw new DynamoError('ValidationException', `Invalid TableArn: ${tableArn}`);
    const [, region, account, table] = arn as unknown as [string, string, string, string];
    const s3Bucket = typeof body.S3Bucket === 'string' ? body.S3Bucket : '';
    if (!s3Bucket) throw new DynamoError('ValidationException', 'S3Bucket is required');
    if ((body.ExportFormat ?? 'DYNAMODB_JSON') !== 'DYNAMODB_JSON') {
      throw new DynamoError('ValidationException', 'the lab twin exports DYNAMODB_JSON only');
    }
    const clientToken = typeof body.ClientToken === 'string' ? body.ClientToken : undefined;
    const earlier = clientToken && this.state.exports.value.find((e) => e.ClientToken === clientToken);
    if (earlier) {
      if (earlier.TableArn !== tableArn || earlier.S3Bucket !== s3Bucket) {
        throw new DynamoError('ExportConflictException', 'an export with this ClientToken and other parameters exists');
      }
      return earlier;
    }
    const state = await this.#tableState(table);
    if (state.pitrSince === undefined) {
      throw new DynamoError('PointInTimeRecoveryUnavailableException', `Point in time recovery is not enabled for table '${table}'`);
    }
    const now = Date.now();
    const exportType = body.ExportType === 'INCREMENTAL_EXPORT' ? 'INCREMENTAL_EXPORT' : 'FULL_EXPORT';
    const incremental = exportType === 'INCREMENTAL_EXPORT' ? this.#incrementalWindow(body, state.pitrSince, now) : undefined;
    const exportTime = incremental ? incremental.toTime : secondsToMs(body.ExportTime) ?? now;
    if (!incremental && (exportTime < state.pitrSince || exportTime > now)) {
      throw new DynamoError('InvalidExportTimeException', 'ExportTime must be within the point-in-time recovery window');
    }

    const exportId = `${String(now).padStart(14, '0')}-${randomBytes(4).toString('hex')}`;
    const job: ExportJob = {
      exportId,
      exportArn: `arn:aws:dynamodb:${region}:${account}:table/${table}/export/${exportId}`,
      tableName: table,
      tableArn,
      tableId: state.tableId,
      s3Bucket,
      s3Prefix: typeof body.S3Prefix === 'string' && body.S3Prefix ? body.S3Prefix : undefined,
      s3SseAlgorithm: typeof body.S3SseAlgorithm === 'string' ? body.S3SseAlgorithm : 'AES256',
      s3SseKmsKeyId: typeof body.S3SseKmsKeyId === 'string' ? body.S3SseKmsKeyId : undefined,
      startTime: now,
      exportTime,
      incremental,
    };
    const description: ExportDescription = {
      ExportArn: job.exportArn,
      ExportStatus: 'IN_PROGRESS',
      StartTime: now / 1000,
      TableArn: tableArn,
      TableId: job.tableId,
      ExportTime: exportTime / 1000,
      ClientToken: clientToken ?? randomUUID(),
      S3Bucket: s3Bucket,
      ...(job.s3Prefix !== undefined && { S3Prefix: job.s3Prefix }),
      S3SseAlgorithm: job.s3SseAlgorithm,
      ...(job.s3SseKmsKeyId !== undefined && { S3SseKmsKeyId: job.s3SseKmsKeyId }),
      ExportFormat: 'DYNAMODB_JSON',
      ExportType: exportType,
      ...(incremental && {
        IncrementalExportSpecification: {
          ExportFromTime: incremental.fromTime / 1000,
          ExportToTime: incremental.toTime / 1000,
          ExportViewType: incremental.viewType,
        },
      }),
    };
    this.state.exports.value.push(description);
    await this.state.exports.save();
    const run = this.#run(job, description).finally(() => this.#running.delete(run));
    this.#running.add(run);
    return { ...description };
  }

  #incrementalWindow(body: Record<string, unknown>, pitrSince: number, now: number): NonNullable<ExportJob['incremental']> {
    const spec = (body.IncrementalExportSpecification ?? {}) as Record<string, unknown>;
    const fromTime = secondsToMs(spec.ExportFromTime);
    if (fromTime === undefined) throw new DynamoError('ValidationException', 'IncrementalExportSpecification.ExportFromTime is required');
    const toTime = secondsToMs(spec.ExportToTime) ?? now;
    const minWindow = this.o.minIncrementalWindowMs ?? AWS_MIN_INCREMENTAL_WINDOW_MS;
    if (toTime - fromTime < minWindow) {
      throw new DynamoError('ValidationException', `the export window must be at least ${minWindow / 60_000} minutes`);
    }
    if (toTime - fromTime > MAX_INCREMENTAL_WINDOW_MS) throw new DynamoError('ValidationException', 'the export window must be at most 24 hours');
    if (fromTime < pitrSince || toTime > now) {
      throw new DynamoError('InvalidExportTimeException', 'the export window must be within the point-in-time recovery window');
    }
    const viewType = spec.ExportViewType === 'NEW_IMAGE' ? 'NEW_IMAGE' : 'NEW_AND_OLD_IMAGES';
    return { fromTime, toTime, viewType };
  }

  async #run(job: ExportJob, description: ExportDescription): Promise<void> {
    try {
      const outcome = await writeExport(job, { dynamodb: this.#wire, s3: this.#s3, changes: this.state.changes });
      Object.assign(description, {
        ExportStatus: 'COMPLETED',
        EndTime: outcome.endTime / 1000,
        ExportManifest: outcome.manifestSummaryKey,
        ItemCount: outcome.itemCount,
        BilledSizeBytes: outcome.billedSizeBytes,
      });
    } catch (err) {
      const name = err instanceof Error ? err.name : 'Error';
      Object.assign(description, {
        ExportStatus: 'FAILED',
        EndTime: nowSeconds(),
        FailureCode: S3_FAILURE_CODES[name] ?? name,
        FailureMessage: err instanceof Error ? err.message : String(err),
      });
    }
    await this.state.exports.save();
  }

  #export(exportArn: string): ExportDescription {
    const found = this.state.exports.value.find((e) => e.ExportArn === exportArn);
    if (!found) throw new DynamoError('ExportNotFoundException', `Export not found: ${exportArn}`);
    return { ...found };
  }

  #listExports(body: Record<string, unknown>) {
    const all = this.state.exports.value.filter((e) => body.TableArn === undefined || e.TableArn === body.TableArn);
    const start = Number(body.NextToken ?? 0) || 0;
    const size = Math.min(Math.max(Number(body.MaxResults ?? 25) || 25, 1), 25);
    const page = all.slice(start, start + size);
    return {
      ExportSummaries: page.map((e) => ({ ExportArn: e.ExportArn, ExportStatus: e.ExportStatus, ExportType: e.ExportType })),
      ...(start + size < all.length && { NextToken: String(start + size) }),
    };
  }

  /** Key attribute names of a table, from dynalite (undefined when there is no such table). */
  async #keys(table: string): Promise<string[] | undefined> {
    const known = this.#keyNames.get(table);
    if (known) return known;
    try {
      const out = await this.#dynamodb.send(new DescribeTableCommand({ TableName: table }));
      const names = (out.Table?.KeySchema ?? []).map((k) => k.AttributeName!);
      this.#keyNames.set(table, names);
      return names;
    } catch (err) {
      if (err instanceof ResourceNotFoundException) return undefined;
      throw err;
    }
  }

  /** Records successful writes in the change log; forgets what it knew of a deleted table. */
  async observe(op: string, req: ProxyRequest, res: ProxyResponse): Promise<void> {
    if (res.status !== 200) return;
    if (op === 'DeleteTable') {
      const table = tableNameOf(parseBody(req).TableName);
      this.#keyNames.delete(table);
      if (this.state.tables.value[table]) {
        delete this.state.tables.value[table];
        await this.state.tables.save();
      }
      return;
    }
    if (!WRITE_OPS.has(op)) return;
    const body = parseBody(req);
    const writes: { table: string; item: WireItem; deleted: boolean; whole: boolean }[] = [];
    if (op === 'BatchWriteItem') {
      const unprocessed = JSON.parse(res.body?.toString('utf8') || '{}').UnprocessedItems ?? {};
      for (const [table, requests] of Object.entries((body.RequestItems ?? {}) as Record<string, BatchRequest[]>)) {
        const skipped = new Set(((unprocessed[table] ?? []) as BatchRequest[]).map((r) => JSON.stringify(r)));
        for (const r of requests) {
          if (skipped.has(JSON.stringify(r))) continue;
          if (r.PutRequest) writes.push({ table: tableNameOf(table), item: r.PutRequest.Item, deleted: false, whole: true });
          if (r.DeleteRequest) writes.push({ table: tableNameOf(table), item: r.DeleteRequest.Key, deleted: true, whole: false });
        }
      }
    } else {
      const table = tableNameOf(body.TableName);
      if (op === 'PutItem') writes.push({ table, item: body.Item as WireItem, deleted: false, whole: true });
      else writes.push({ table, item: body.Key as WireItem, deleted: op === 'DeleteItem', whole: false });
    }
    const records: ChangeRecord[] = [];
    for (const w of writes) {
      const names = w.whole ? await this.#keys(w.table) : Object.keys(w.item);
      if (!names) continue;
      const keys = Object.fromEntries(names.map((name) => [name, w.item[name]!]));
      records.push({ table: w.table, keys, micros: this.state.changes.nextMicros(), deleted: w.deleted });
    }
    await this.state.changes.append(records);
  }
}

interface BatchRequest {
  PutRequest?: { Item: WireItem };
  DeleteRequest?: { Key: WireItem };
}

/** Table names may come as ARNs. */
function tableNameOf(value: unknown): string {
  const name = String(value ?? '');
  return name.startsWith('arn:') ? name.slice(name.indexOf(':table/') + ':table/'.length) : name;
}

function secondsToMs(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value * 1000) : undefined;
}

function nowSeconds(): number {
  return Date.now() / 1000;
}

function ok(value: unknown): LocalAnswer {
  return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() }, body: JSON.stringify(value) };
}

function dynamoError(type: string, message: string): LocalAnswer {
  const namespace = type === 'ValidationException' ? 'com.amazon.coral.validate' : 'com.amazonaws.dynamodb.v20120810';
  return {
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify({ __type: `${namespace}#${type}`, message }),
  };
}
