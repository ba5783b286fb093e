/**
 * `npm run bench`: the sync benchmarks of issue 3 against a fresh, empty lab twin, in one run
 * (ratios measured side by side; absolute times on a shared 2-core machine are noise).
 * Prints a table and writes bench/out/results.json (relative to the working directory).
 *
 *   BENCH_FULL=1    also P2 at 100 000 objects (several more minutes)
 *   BENCH_SEED=sdk  seed the P2 buckets with PutObjects instead of s3rver's on-disk layout
 *   BENCH_OUT=path  where the JSON goes
 *   BENCH_ONLY=p1,p3  run only these parts (p1, p2, p3, p4: high availability, needs PostgreSQL)
 *   BENCH_RCLONE=off  drsentinel alone (its RSS figures in minutes rather than rclone's hour at 100 000)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab } from '../lab/index.js';
import { labClients, type LabClients } from '../lab/clients.js';
import { loadConfig } from '../src/config/load.js';
import { haRows } from './ha.js';
import { importRates, type TransformRate } from './metadata.js';
import { initialCopy, noChangeResync, wallRow, warmUp, type ObjectBench, type Pair } from './objects.js';
import { killMeasured, measureNodeScript } from './measure.js';
import { findRclone, RCLONE_INSTALL_HINT } from './rclone.js';
import { formatTable, judge, writeResults, type Row } from './report.js';
import type { SeedMethod } from './seed.js';
import { twinCpuMeter } from './twin-cpu.js';

const CONCURRENCY = 16;
const P2_SIZES = [20_000, 100_000] as const;
const RSS_LIMIT = 150 * 1024 * 1024;
const RSS_GROWTH_LIMIT = 0.1;
const IMPORT_ITEMS = 20_000;
const IMPORT_RATIO_TARGET = 0.8;
const TRANSFORM_TARGET = 200_000;
const TRANSFORM_CHILD = fileURLToPath(new URL('./transform-child.js', import.meta.url));

const log = (line: string) => process.stdout.write(`${line}\n`);

function rssRow(id: string, what: string, pair: Pair): Row {
  const value = pair.drsentinel.peakRss / 1024 / 1024;
  return {
    id, what, drsentinel: { peakRss: pair.drsentinel.peakRss },
    ...(pair.rclone ? { baseline: { tool: 'rclone', peakRss: pair.rclone.peakRss } } : {}),
    value, shown: `${value.toFixed(0)} MB`, target: '≤ 150 MB', status: judge({ value: pair.drsentinel.peakRss, limit: RSS_LIMIT, kind: 'max' }),
  };
}

type Part = 'p1' | 'p2' | 'p3' | 'p4';

async function objectRows(bench: ObjectBench, full: boolean, parts: Set<Part>, raw: Record<string, unknown>): Promise<Row[]> {
  const rows: Row[] = [];
  if (!parts.has('p1') && !parts.has('p2')) return rows;
  log('warm-up (unmeasured): 100 × 1 KiB by each tool');
  await warmUp(bench);

  const p1 = [
    { bucket: 'bench-p1-small', count: 2000, size: 1024, what: '2000 × 1 KiB initial copy' },
    { bucket: 'bench-p1-large', count: 200, size: 1024 * 1024, what: '200 × 1 MiB initial copy' },
  ];
  for (const [i, { what, ...spec }] of parts.has('p1') ? p1.entries() : []) {
    log(`P1 ${what}`);
    const result = await initialCopy(bench, spec, i % 2 === 1);
    raw[`P1 ${what}`] = result;
    rows.push(wallRow('P1', what, result.pair, bench.cores));
  }

  const resyncs: Record<number, Pair> = {};
  if (!parts.has('p2')) return rows;
  for (const count of P2_SIZES) {
    const label = count.toLocaleString('en-US');
    if (count > P2_SIZES[0] && !full) {
      const note = 'skipped by default; run it with `BENCH_FULL=1 npm run bench` (adds several minutes)';
      rows.push({ id: 'P2', what: `${label} no-change re-sync`, drsentinel: {}, shown: '-', target: '≤ 0.5× rclone', status: 'SKIP', note });
      continue;
    }
    log(`P2 ${label} objects: initial copy, then no-change re-sync`);
    const result = await noChangeResync(bench, { bucket: `bench-p2-${count}`, count, size: 256 });
    raw[`P2 ${label}`] = result;
    resyncs[count] = result.resync;
    rows.push({ ...wallRow('P2', `${label} initial copy`, result.initial, bench.cores), target: '-', status: 'INFO' });
    rows.push(wallRow('P2', `${label} no-change re-sync`, result.resync, bench.cores));
    rows.push(rssRow('P2', `${label} re-sync peak RSS`, result.resync));
  }
  const [small, large] = P2_SIZES.map((n) => resyncs[n]);
  if (small && large) {
    const value = large.drsentinel.peakRss / small.drsentinel.peakRss - 1;
    rows.push({
      id: 'P2', what: 'RSS growth 20k → 100k', drsentinel: { peakRss: large.drsentinel.peakRss },
      value, shown: `${(value * 100).toFixed(1)} %`, target: '≤ 10 %', status: judge({ value: Math.abs(value), limit: RSS_GROWTH_LIMIT, kind: 'max' }),
    });
  } else {
    rows.push({ id: 'P2', what: 'RSS growth 20k → 100k', drsentinel: {}, shown: '-', target: '≤ 10 %', status: 'SKIP', note: 'needs BENCH_FULL=1' });
  }
  return rows;
}

async function transformInChild(lines: number, budgetMs: number): Promise<TransformRate> {
  const { report } = await measureNodeScript<TransformRate>(TRANSFORM_CHILD, [String(lines), String(budgetMs)], 'the transform child', { env: process.env, timeoutMs: 10 * 60_000 });
  return report;
}

async function metadataRows(clients: LabClients, lab: Lab, batchSize: number, concurrency: number, raw: Record<string, unknown>): Promise<Row[]> {
  log(`P3 import of ${IMPORT_ITEMS} items, batches of ${batchSize}, ${concurrency} at once`);
  const rates = await importRates({ cosmos: clients.cosmos, database: lab.endpoints.azure.cosmos.database, items: IMPORT_ITEMS, batchSize, concurrency, log });
  log('P3 transform (parseExportLine + toDocument, one core, in a process of its own)');
  const transform = await transformInChild(20_000, 3000);
  log(`  read + transform ${Math.round(transform.rate)} items per CPU-second, ${transform.megabytesPerSecond.toFixed(0)} MB/s (${Math.round(transform.wallRate)} per wall second) over ${transform.passes} passes, mean line ${transform.meanLineBytes} B; JSON.parse alone ${Math.round(transform.jsonParseRate)}/s; transform alone ${Math.round(transform.mappingRate)}/s`);
  raw['P3 import'] = rates;
  raw['P3 transform'] = transform;
  const ratio = rates.drsentinel.rate / rates.raw.rate;
  return [
    {
      id: 'P3', what: `import ${IMPORT_ITEMS.toLocaleString('en-US')} items`,
      drsentinel: { wallMs: rates.drsentinel.ms, rate: rates.drsentinel.rate },
      baseline: { tool: 'raw SDK', wallMs: rates.raw.ms, rate: rates.raw.rate },
      value: ratio, shown: `${(ratio * 100).toFixed(0)} %`, target: '≥ 80 % of raw', status: judge({ value: ratio, limit: IMPORT_RATIO_TARGET, kind: 'min' }),
    },
    {
      id: 'P3', what: 'transform (item → document), one core', drsentinel: { rate: transform.mappingRate },
      value: transform.mappingRate, shown: `${Math.round(transform.mappingRate).toLocaleString('en-US')}/s`, target: '≥ 200,000/s',
      status: judge({ value: transform.mappingRate, limit: TRANSFORM_TARGET, kind: 'min' }),
      note: `toDocument (id, partition key, natural JSON, type annotations) over ${transform.lines} items already read, items per CPU-second, median of ${transform.passes} passes`,
    },
    {
      id: 'P3', what: 'read + transform (export line → document), one core', drsentinel: { rate: transform.rate },
      value: transform.rate, shown: `${Math.round(transform.rate).toLocaleString('en-US')}/s`, target: '-', status: 'INFO',
      note: `parseExportLine + toDocument over ${transform.lines} pre-generated DYNAMODB_JSON lines of ${transform.meanLineBytes} B on average (image chunks), items per CPU-second, median of ${transform.passes} passes (wall: ${Math.round(transform.wallRate)}/s), ${transform.megabytesPerSecond.toFixed(0)} MB/s; `
        + `JSON.parse alone reads these lines at ${Math.round(transform.jsonParseRate).toLocaleString('en-US')}/s, the ceiling of any reader built on it`,
    },
  ];
}

async function main(): Promise<number> {
  const began = Date.now();
  const full = process.env.BENCH_FULL === '1';
  const seedMethod: SeedMethod = process.env.BENCH_SEED === 'sdk' ? 'sdk' : 'disk';
  const parts = new Set((process.env.BENCH_ONLY ?? 'p1,p2,p3,p4').split(',').map((p) => p.trim().toLowerCase() as Part));
  const outFile = resolve(process.env.BENCH_OUT ?? 'bench/out/results.json');
  const rcloneOff = process.env.BENCH_RCLONE === 'off';
  const rclone = rcloneOff ? undefined : await findRclone();
  if (rcloneOff) log('BENCH_RCLONE=off: drsentinel alone, the rclone comparisons are skipped');
  else if (!rclone) log(`rclone not found: the rclone comparisons are skipped — ${RCLONE_INSTALL_HINT}`);
  else log(`baseline: ${rclone.version}`);
  if (!full) log('P2 at 100 000 objects is skipped by default: run `BENCH_FULL=1 npm run bench` for it');

  const stateDir = await mkdtemp(join(tmpdir(), 'drsentinel-bench-lab-'));
  let lab: Lab | undefined;
  let clients: LabClients | undefined;
  const stopAll = async () => {
    clients?.destroy();
    await lab?.stop();
    await rm(stateDir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    killMeasured();
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    lab = await startLab({ stateDir, empty: true });
    log(`lab ready (${((Date.now() - began) / 1000).toFixed(1)} s)`);
    clients = labClients(lab.endpoints);
    const { requests } = lab;
    const { config } = loadConfig(lab.configFile);
    const raw: Record<string, unknown> = {};
    const bench: ObjectBench = {
      endpoints: lab.endpoints, configFile: lab.configFile, s3: clients.s3, blob: clients.blob,
      s3rverDirectory: join(stateDir, 'data', 's3'), concurrency: CONCURRENCY, withRclone: rclone !== undefined,
      seedMethod, timeoutMs: (full ? 40 : 15) * 60_000, twinCpu: twinCpuMeter(lab.children), twinRequests: () => requests.snapshot(), cores: cpus().length, log,
    };
    const rows = [
      ...(await objectRows(bench, full, parts, raw)),
      ...(parts.has('p3') ? await metadataRows(clients, lab, config.sync.importBatchSize, config.sync.importConcurrency, raw) : []),
      ...(parts.has('p4') ? await haRows(log, raw) : []),
    ];
    const durationMs = Date.now() - began;
    log(`\n${formatTable(rows)}\n`);
    await writeResults(outFile, {
      finishedAt: new Date().toISOString(), durationMs, full, parts: [...parts], concurrency: CONCURRENCY, seedMethod,
      machine: { cpus: cpus().length, node: process.version }, rclone: rclone?.version ?? null, rows, details: raw,
    });
    log(`benchmark took ${(durationMs / 1000).toFixed(0)} s; results in ${outFile}`);
    return 0;
  } finally {
    await stopAll();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
