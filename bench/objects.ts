/**
 * P1 (initial copy) and P2 (no-change re-sync): drsentinel's objects engine in a child
 * process against `rclone sync`, same source bucket, each into its own fresh container,
 * equal concurrency. Every run is checked (object counts, nothing failed) before its time
 * counts: a fast wrong answer is no figure.
 */
import { fileURLToPath } from 'node:url';
import type { S3Client } from '@aws-sdk/client-s3';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { Endpoints } from '../lab/endpoints.js';
import type { ChildReport } from './objects-child.js';
import { measureNodeScript } from './measure.js';
import { rcloneSync } from './rclone.js';
import { judge, type Row } from './report.js';
import { seedBucket, type SeedMethod, type Seeded, type SeedSpec } from './seed.js';
import type { TwinCpuMeter } from './twin-cpu.js';
import { tallySince } from '../lab/request-tally.js';

export interface ObjectBench {
  endpoints: Endpoints;
  configFile: string;
  s3: S3Client;
  blob: BlobServiceClient;
  s3rverDirectory: string;
  concurrency: number;
  /** False when rclone is missing: drsentinel runs alone and comparisons are skipped. */
  withRclone: boolean;
  seedMethod: SeedMethod;
  timeoutMs: number;
  /** Cumulative CPU milliseconds of the lab twin (emulators and fronts). */
  twinCpu: TwinCpuMeter;
  /** Requests served so far by the twin's data-plane fronts, keyed "service METHOD". */
  twinRequests: () => Record<string, number>;
  /** Cores of this machine: the twin's CPU divided by them bounds any tool's wall time. */
  cores: number;
  log: (line: string) => void;
}

export interface ToolRun {
  wallMs: number;
  peakRss: number;
  cpuMs?: number;
  engineMs?: number;
  childMaxRss?: number;
  copied: number | undefined;
  /** CPU the twin spent serving this run. */
  twinCpuMs?: number;
  /** Requests per object the twin served for this run, keyed "service METHOD" (listings included). */
  requestsPerObject?: Record<string, number>;
}

export interface Pair {
  drsentinel: ToolRun;
  rclone?: ToolRun;
}

const CHILD = fileURLToPath(new URL('./objects-child.js', import.meta.url));
const WALL_RATIO_TARGET = 0.5;

async function runDrsentinel(b: ObjectBench, bucket: string, container: string): Promise<ToolRun> {
  const { measured, report } = await measureNodeScript<ChildReport>(CHILD, [b.configFile, bucket, container, String(b.concurrency)], `drsentinel ${bucket} → ${container}`, {
    env: process.env,
    timeoutMs: b.timeoutMs,
  });
  if (report.failed > 0) throw new Error(`drsentinel ${bucket} → ${container}: ${report.failed} objects failed, first ${report.firstFailure}`);
  return { wallMs: measured.wallMs, peakRss: measured.peakRss, cpuMs: measured.cpuMs, engineMs: report.engineMs, childMaxRss: report.maxRss, copied: report.copied };
}

async function runRclone(b: ObjectBench, bucket: string, container: string): Promise<ToolRun> {
  const r = await rcloneSync(b.endpoints, bucket, container, b.concurrency, b.timeoutMs);
  return { wallMs: r.wallMs, peakRss: r.peakRss, cpuMs: r.cpuMs, copied: r.transferred };
}

async function countBlobs(blob: BlobServiceClient, container: string): Promise<number> {
  let n = 0;
  for await (const page of blob.getContainerClient(container).listBlobsFlat().byPage({ maxPageSize: 5000 })) n += page.segment.blobItems.length;
  return n;
}

/** One pass of both tools, in the given order, each into its own container; counts checked. */
async function pass(b: ObjectBench, spec: SeedSpec, containers: { drsentinel: string; rclone: string }, rcloneFirst: boolean): Promise<Pair> {
  const tools: Array<['drsentinel' | 'rclone', () => Promise<ToolRun>]> = [
    ['drsentinel', () => runDrsentinel(b, spec.bucket, containers.drsentinel)],
    ...(b.withRclone ? [['rclone', () => runRclone(b, spec.bucket, containers.rclone)] as ['rclone', () => Promise<ToolRun>]] : []),
  ];
  if (rcloneFirst) tools.reverse();
  const pair: Partial<Pair> = {};
  for (const [tool, run] of tools) {
    const twinBefore = await b.twinCpu();
    const requestsBefore = b.twinRequests();
    const measured = await run();
    const twinCpuMs = Math.round((await b.twinCpu()) - twinBefore);
    const served = Object.entries(tallySince(requestsBefore, b.twinRequests()));
    const result = { ...measured, twinCpuMs, requestsPerObject: Object.fromEntries(served.map(([key, n]) => [key, n / spec.count])) };
    const landed = await countBlobs(b.blob, containers[tool]);
    if (landed !== spec.count) throw new Error(`${tool}: ${containers[tool]} holds ${landed} blobs after the sync, the source ${spec.count}`);
    const cpu = `${result.cpuMs === undefined ? '' : `, CPU ${(result.cpuMs / 1000).toFixed(2)} s`}, twin CPU ${(result.twinCpuMs / 1000).toFixed(2)} s`;
    const requests = `, requests per object ${requestsNote(result.requestsPerObject)}`;
    b.log(`  ${tool}: ${(result.wallMs / 1000).toFixed(2)} s, peak RSS ${(result.peakRss / 1048576).toFixed(0)} MB${cpu}${requests}, copied ${result.copied ?? '?'}`);
    pair[tool] = result;
  }
  return pair as Pair;
}

async function freshContainers(b: ObjectBench, name: string): Promise<{ drsentinel: string; rclone: string }> {
  const containers = { drsentinel: `drs-${name}`, rclone: `rcl-${name}` };
  await Promise.all(Object.values(containers).map((c) => b.blob.getContainerClient(c).create()));
  return containers;
}

async function seed(b: ObjectBench, spec: SeedSpec): Promise<Seeded> {
  const seeded = await seedBucket(b.s3, b.s3rverDirectory, spec, b.seedMethod);
  b.log(`  seeded ${spec.count} × ${spec.size} B into ${spec.bucket} by ${seeded.method} in ${(seeded.ms / 1000).toFixed(2)} s (${Math.round(spec.count / (seeded.ms / 1000))}/s)`);
  return seeded;
}

/** Two decimals, or two significant digits below 0.01 (a listing page per 1000 objects is 0.001). */
const perObject = (n: number) => (n === 0 || n >= 0.01 ? n.toFixed(2) : n.toPrecision(2));

/** "2.02 (blob GET 0.01, blob PUT 1.00, s3 GET 1.00)": the total, then each kind of request. */
function requestsNote(served: Record<string, number> = {}): string {
  const kinds = Object.entries(served).sort(([a], [b]) => a.localeCompare(b));
  if (kinds.length === 0) return 'none';
  const total = kinds.reduce((sum, [, n]) => sum + n, 0);
  return `${perObject(total)} (${kinds.map(([key, n]) => `${key} ${perObject(n)}`).join(', ')})`;
}

const cpuSeconds = (ms?: number) => (ms === undefined ? '?' : (ms / 1000).toFixed(1));

/**
 * What each run cost: requests per object, then where its CPU went, and the best ratio this
 * machine allows: drsentinel cannot end before the twin has served it, twin CPU / cores,
 * however little CPU drsentinel itself uses.
 */
function costNote(d: ToolRun, r: ToolRun, cores: number): string {
  const floorMs = (d.twinCpuMs ?? 0) / cores;
  return `requests per object: drsentinel ${requestsNote(d.requestsPerObject)}, rclone ${requestsNote(r.requestsPerObject)}; `
    + `CPU s, tool + twin: drsentinel ${cpuSeconds(d.cpuMs)} + ${cpuSeconds(d.twinCpuMs)}, rclone ${cpuSeconds(r.cpuMs)} + ${cpuSeconds(r.twinCpuMs)}; `
    + `the twin alone bounds drsentinel at ≥ ${(floorMs / r.wallMs).toFixed(2)}× rclone on ${cores} cores`;
}

export function wallRow(id: string, what: string, pair: Pair, cores: number): Row {
  const drs = { wallMs: pair.drsentinel.wallMs, peakRss: pair.drsentinel.peakRss };
  if (!pair.rclone) {
    const note = `rclone not run (missing, or BENCH_RCLONE=off); drsentinel's requests per object: ${requestsNote(pair.drsentinel.requestsPerObject)}`;
    return { id, what, drsentinel: drs, shown: '-', target: `≤ ${WALL_RATIO_TARGET}× rclone`, status: 'SKIP', note };
  }
  const value = pair.drsentinel.wallMs / pair.rclone.wallMs;
  const note = costNote(pair.drsentinel, pair.rclone, cores);
  return {
    id, what, drsentinel: drs,
    baseline: { tool: 'rclone', wallMs: pair.rclone.wallMs, peakRss: pair.rclone.peakRss },
    value, shown: `${value.toFixed(2)}×`, target: `≤ ${WALL_RATIO_TARGET}× rclone`,
    status: judge({ value, limit: WALL_RATIO_TARGET, kind: 'max' }), note,
  };
}

/** Both tools copy a small bucket once, unmeasured: the emulators' code paths get warm for both. */
export async function warmUp(b: ObjectBench): Promise<void> {
  const spec = { bucket: 'bench-warmup', count: 100, size: 1024 };
  await seed(b, spec);
  await pass(b, spec, await freshContainers(b, 'warmup'), false);
}

/** P1: one initial copy of `spec` by each tool. */
export async function initialCopy(b: ObjectBench, spec: SeedSpec, rcloneFirst: boolean): Promise<{ seeded: Seeded; pair: Pair }> {
  const seeded = await seed(b, spec);
  const pair = await pass(b, spec, await freshContainers(b, spec.bucket.replace(/^bench-/, '')), rcloneFirst);
  return { seeded, pair };
}

/** P2: an initial copy by each tool, then the timed second run of each, which must copy nothing. */
export async function noChangeResync(b: ObjectBench, spec: SeedSpec): Promise<{ seeded: Seeded; initial: Pair; resync: Pair }> {
  const seeded = await seed(b, spec);
  const containers = await freshContainers(b, spec.bucket.replace(/^bench-/, ''));
  const initial = await pass(b, spec, containers, false);
  b.log('  no-change re-sync:');
  const resync = await pass(b, spec, containers, true);
  for (const [tool, run] of Object.entries(resync)) {
    if (run && run.copied !== undefined && run.copied !== 0) throw new Error(`${tool} copied ${run.copied} objects in a no-change re-sync`);
  }
  return { seeded, initial, resync };
}
