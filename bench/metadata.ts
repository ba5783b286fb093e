/**
 * P3, the metadata engine: (a) the import rate of `importRecords` into the Cosmos twin against
 * a raw SDK loop (`executeBulkOperations`, batches of the same size, the same concurrency)
 * writing the same documents already built — so the ratio is everything drsentinel's layer
 * costs, its codec included; (b) the transform rate (`parseExportLine` + `toDocument`) on
 * pre-generated export lines, one core, no I/O, beside the rates of `JSON.parse` alone and of
 * `toDocument` alone on the same lines (run by transform-child.ts, away from the lab).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, CosmosClient, JSONObject, OperationInput } from '@azure/cosmos';
import { CosmosDocumentTable } from '../src/adapters/azure/cosmos.js';
import { toDocument, partitionKeyOf } from '../src/core/documents.js';
import type { Item } from '../src/core/items.js';
import { parseExportLine, type ExportRecord } from '../src/sync/export-reader.js';
import { importRecords } from '../src/sync/importer.js';
import { Quarantine } from '../src/sync/quarantine.js';
import { forEachConcurrently } from './concurrency.js';
import { benchItem, exportLine, IMAGES_SCHEMA } from './items.js';

export interface ImportBench {
  cosmos: CosmosClient;
  database: string;
  items: number;
  batchSize: number;
  concurrency: number;
  log: (line: string) => void;
}

export interface ImportRates {
  raw: { ms: number; rate: number };
  drsentinel: { ms: number; rate: number };
}

async function freshContainer(b: ImportBench, id: string): Promise<Container> {
  const { container } = await b.cosmos.database(b.database).containers.createIfNotExists({ id, partitionKey: { paths: ['/imageId'] } });
  return container;
}

async function count(container: Container): Promise<number> {
  const { resources } = await container.items.query<number>('SELECT VALUE COUNT(1) FROM c').fetchAll();
  return resources.reduce((sum, n) => sum + n, 0);
}

/** The baseline: what a hand-written loop over the SDK achieves with the same batches and width. */
async function rawLoop(b: ImportBench, container: Container, operations: OperationInput[]): Promise<void> {
  const batches = Math.ceil(operations.length / b.batchSize);
  await forEachConcurrently(batches, b.concurrency, async (i) => {
    const responses = await container.items.executeBulkOperations(operations.slice(i * b.batchSize, (i + 1) * b.batchSize));
    const failed = responses.find((r) => !r.response || r.response.statusCode >= 300);
    if (failed) throw new Error(`raw bulk write failed: ${failed.response?.statusCode ?? failed.error?.code} ${failed.error?.message ?? ''}`);
  });
}

async function* records(items: Item[]): AsyncGenerator<ExportRecord> {
  for (let i = 0; i < items.length; i++) yield { file: 'bench', line: i + 1, op: 'put', item: items[i]! };
}

async function drsentinelImport(b: ImportBench, container: Container, items: Item[], scratch: string): Promise<void> {
  const quarantine = new Quarantine(join(scratch, 'quarantine.jsonl'));
  try {
    const totals = await importRecords(records(items), new CosmosDocumentTable(container, IMAGES_SCHEMA), {
      batchSize: b.batchSize, concurrency: b.concurrency, quarantine,
    });
    if (totals.written !== items.length || totals.quarantined > 0) {
      throw new Error(`importRecords wrote ${totals.written} of ${items.length}, quarantined ${totals.quarantined}: ${JSON.stringify(quarantine.first[0] ?? {})}`);
    }
  } finally {
    await quarantine.close();
  }
}

async function timed(what: string, b: ImportBench, container: Container, run: () => Promise<void>): Promise<{ ms: number; rate: number }> {
  const started = performance.now();
  await run();
  const ms = performance.now() - started;
  const stored = await count(container);
  if (stored !== b.items) throw new Error(`${what}: the container holds ${stored} documents, ${b.items} were written`);
  const rate = b.items / (ms / 1000);
  b.log(`  ${what}: ${b.items} items in ${(ms / 1000).toFixed(2)} s (${Math.round(rate)}/s)`);
  return { ms, rate };
}

export async function importRates(b: ImportBench): Promise<ImportRates> {
  const items = Array.from({ length: b.items }, (_, i) => benchItem(i));
  const operations: OperationInput[] = items.map((item) => {
    const doc = toDocument(item, IMAGES_SCHEMA);
    return { operationType: 'Upsert', resourceBody: doc as JSONObject, partitionKey: partitionKeyOf(doc, IMAGES_SCHEMA) };
  });
  const scratch = await mkdtemp(join(tmpdir(), 'drsentinel-bench-import-'));
  try {
    // Unmeasured: both paths through the SDK and the emulator once.
    const warm = await freshContainer(b, 'bench-warmup');
    await rawLoop(b, warm, operations.slice(0, 1000));
    await drsentinelImport(b, warm, items.slice(0, 1000), scratch);

    const rawContainer = await freshContainer(b, 'bench-raw');
    const raw = await timed('raw SDK loop', b, rawContainer, () => rawLoop(b, rawContainer, operations));
    const importContainer = await freshContainer(b, 'bench-import');
    const drsentinel = await timed('importRecords', b, importContainer, () => drsentinelImport(b, importContainer, items, scratch));
    return { raw, drsentinel };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

export interface TransformRate {
  lines: number;
  meanLineBytes: number;
  passes: number;
  /** Items per CPU-second of this process (what one core does, however loaded the machine), median over the passes. */
  rate: number;
  /** Items per wall-clock second, median: lower when other processes share the cores. */
  wallRate: number;
  /**
   * Items per CPU-second of `JSON.parse` alone over the same lines, median: the ceiling of any
   * transform that parses them with it, measured in passes interleaved with the transform's.
   */
  jsonParseRate: number;
  /** Megabytes (10^6 bytes) of export lines the transform goes through per CPU-second, at `rate`. */
  megabytesPerSecond: number;
  /**
   * Items per CPU-second of the mapping alone (`toDocument`: id, partition key, natural JSON,
   * type annotations) over items already read, median: the transform of the R3 rules,
   * without the reading of the export line that `rate` includes.
   */
  mappingRate: number;
}

/**
 * parseExportLine + toDocument over pre-generated lines, beside JSON.parse alone and
 * toDocument alone, passes interleaved; a warm-up pass of each, then passes for ≥ `budgetMs`.
 */
export function transformRate(lineCount: number, budgetMs: number): TransformRate {
  const lines = Array.from({ length: lineCount }, (_, i) => exportLine(benchItem(i)));
  const totalBytes = lines.reduce((sum, l) => sum + Buffer.byteLength(l), 0);
  let sink = 0;
  const timed = (work: () => void) => {
    const started = performance.now();
    const cpu = process.cpuUsage();
    work();
    const used = process.cpuUsage(cpu);
    return { cpu: lines.length / ((used.user + used.system) / 1e6), wall: lines.length / ((performance.now() - started) / 1000) };
  };
  const read = (line: string) => {
    const record = parseExportLine(line, IMAGES_SCHEMA);
    if (record.op !== 'put') throw new Error(`a generated line did not parse: ${JSON.stringify(record).slice(0, 200)}`);
    return record.item;
  };
  const transform = () => timed(() => {
    for (const line of lines) sink += toDocument(read(line), IMAGES_SCHEMA).id.length;
  });
  const parseOnly = () => timed(() => {
    for (const line of lines) if (JSON.parse(line) !== null) sink++;
  });
  const items = lines.map(read);
  const mapOnly = () => timed(() => {
    for (const item of items) sink += toDocument(item, IMAGES_SCHEMA).id.length;
  });
  transform();
  parseOnly();
  mapOnly();
  const passes: Array<{ cpu: number; wall: number }> = [];
  const parses: number[] = [];
  const mappings: number[] = [];
  const began = performance.now();
  while (passes.length < 3 || performance.now() - began < budgetMs) {
    passes.push(transform());
    parses.push(parseOnly().cpu);
    mappings.push(mapOnly().cpu);
  }
  if (sink === 0) throw new Error('the transform produced nothing');
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const rate = median(passes.map((p) => p.cpu));
  return {
    lines: lineCount, meanLineBytes: Math.round(totalBytes / lines.length), passes: passes.length,
    rate, wallRate: median(passes.map((p) => p.wall)),
    jsonParseRate: median(parses), megabytesPerSecond: (rate * totalBytes) / lines.length / 1e6, mappingRate: median(mappings),
  };
}
