/**
 * The drsentinel side of P1/P2, run as its own process so that its peak RSS is its own:
 * `node objects-child.js <config.yaml> <bucket> <container> <concurrency>` mirrors the bucket
 * into the container with the objects engine, wired by buildAdapters exactly as the service
 * wires the site flow, and prints the engine's summary as one JSON line.
 */
import { loadConfig } from '../src/config/load.js';
import { buildAdapters } from '../src/adapters/index.js';
import { syncObjects } from '../src/sync/objects.js';
import { boundHeapGrowth } from '../src/heap.js';

export interface ChildReport {
  seen: number;
  unchanged: number;
  copied: number;
  copiedBytes: number;
  failed: number;
  firstFailure?: string;
  engineMs: number;
  /** process.resourceUsage().maxRSS, bytes: the child's own view, to cross-check the parent's. */
  maxRss: number;
}

async function main(argv: string[]): Promise<void> {
  boundHeapGrowth();
  const [configFile, bucket, container, concurrency] = argv;
  if (!configFile || !bucket || !container || !concurrency) throw new Error('usage: objects-child <config.yaml> <bucket> <container> <concurrency>');
  // The site flow's own stores, pointed at the benchmark's bucket and container.
  const { config } = loadConfig(configFile, {
    ...process.env,
    DRSENTINEL__AWS__S3__BUCKETS__SITE: bucket,
    DRSENTINEL__AZURE__BLOB__CONTAINERS__SITE: container,
  });
  const adapters = buildAdapters(config, process.env);
  try {
    const n = Number(concurrency);
    const summary = await syncObjects({
      flow: 'bench', mode: 'mirror', source: adapters.objects.awsSite, destination: adapters.objects.azureSite, transfers: n, checkers: n,
    });
    const report: ChildReport = {
      seen: summary.seen, unchanged: summary.unchanged, copied: summary.copied, copiedBytes: summary.copiedBytes,
      failed: summary.failed, engineMs: summary.durationMs, maxRss: process.resourceUsage().maxRSS * 1024,
      ...(summary.failures[0] ? { firstFailure: `${summary.failures[0].key}: ${summary.failures[0].reason}` } : {}),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    adapters.close();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`objects-child: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
