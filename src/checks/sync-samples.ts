/**
 * The sync verifiers run as checks, between syncs: the latest uploads compared by MD5 (R2) and
 * a share of the metadata items compared by canonical hash (R3). They compare the live source
 * with the standby, so a change made since the last sync shows as a difference: they belong to
 * the on-demand `sampling` suite (src/checks/suite-names.ts), not to the probes run every few minutes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentTable, ObjectStore } from '../core/ports.js';
import type { Check } from '../core/result.js';
import { Sampler, verifySample } from '../sync/sample.js';
import { verifyLatestSample } from '../sync/verify.js';

export function uploadsSampleCheck(opts: { source: ObjectStore; destination: ObjectStore; sampleSize: number }): Check {
  return {
    id: 'uploads-sample',
    title: `the latest ${opts.sampleSize} uploads have equal MD5s at ${opts.source.name} and ${opts.destination.name}`,
    run: (ctx) => verifyLatestSample({ ...opts, signal: ctx.signal }),
  };
}

export interface MetadataSampleOptions {
  source: DocumentTable;
  destination: DocumentTable;
  /** Share of the source items compared, 0..1. */
  ratio: number;
  concurrency?: number;
}

export function metadataSampleCheck(opts: MetadataSampleOptions): Check {
  return {
    id: 'metadata-sample',
    title: `${Math.round(opts.ratio * 100)} % of the items have equal hashes at ${opts.source.name} and ${opts.destination.name}`,
    async run(ctx) {
      const schema = await opts.source.keySchema(ctx.signal);
      // The sample waits on disk, as in the sync: memory does not grow with the table.
      const dir = await mkdtemp(join(tmpdir(), 'drsentinel-sample-'));
      const sampler = new Sampler(join(dir, 'sample.jsonl'), opts.ratio);
      try {
        for await (const item of opts.source.scan({ signal: ctx.signal })) await sampler.offer(item);
        await sampler.close();
        // The whole table was offered: an empty source passes only beside an empty destination.
        return await verifySample(sampler, opts.destination, schema, { concurrency: opts.concurrency, signal: ctx.signal, wholeSource: true });
      } finally {
        await sampler.close();
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
