/**
 * What a sync killed mid-run must leave possible: a rerun that copies only what had not landed,
 * deletes nothing, and ends with both sides equal, every object hashed on both sides.
 */
import type { Test } from 'tap';
import type { ObjectStore } from '../../src/core/ports.js';
import { syncObjects } from '../../src/sync/objects.js';
import { verifyLatestSample, verifyMirror } from '../../src/sync/verify.js';

export async function rerunConverges(t: Test, o: { source: ObjectStore; destination: ObjectStore; total: number; landedBeforeKill: number }): Promise<void> {
  const { source, destination, total, landedBeforeKill } = o;
  const rerun = await syncObjects({ flow: 'crash', mode: 'mirror', source, destination, transfers: 4, checkers: 4 });
  t.equal(rerun.failed, 0, JSON.stringify(rerun.failures));
  t.equal(rerun.seen, total);
  t.equal(rerun.copied + rerun.unchanged, total);
  t.ok(rerun.unchanged >= landedBeforeKill, `what landed before the kill is not copied again (${rerun.unchanged} unchanged)`);
  t.ok(rerun.copied < total, `only what had not landed is copied (${rerun.copied})`);
  t.equal(rerun.deleted, 0);

  const counts = await verifyMirror({ source, destination });
  t.equal(counts.status, 'pass', counts.reason);
  const bytes = await verifyLatestSample({ source, destination, sampleSize: total });
  t.equal(bytes.status, 'pass', bytes.reason);
  t.equal(bytes.measurements.sampled, total);
}
