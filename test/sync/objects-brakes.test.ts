/** The objects engine's delete brakes, on stores held in memory: what a mirror may delete, and when it must not. */
import t, { type Test } from 'tap';
import { classifyFailure, SafetyError } from '../../src/core/retry.js';
import { DEFAULT_DELETE_LIMITS, deleteVerdict, syncObjects, type DeleteLimits, type DeletePlan } from '../../src/sync/objects.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';

const keys = (n: number, prefix = 'page-') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}.html`);

function mirror(source: MemoryObjectStore, destination: MemoryObjectStore, deletes?: DeleteLimits) {
  return syncObjects({ flow: 'site', mode: 'mirror', source, destination, transfers: 4, checkers: 4, deletes });
}

/** A source and a destination already mirrored, `n` objects each. */
async function mirrored(t: Test, n: number) {
  const source = new MemoryObjectStore('s3://site');
  const destination = new MemoryObjectStore('blob://$web');
  for (const key of keys(n)) source.add(key);
  const first = await mirror(source, destination);
  t.equal(first.copied, n, 'the first mirror copies everything');
  return { source, destination };
}

t.test('an empty source listing beside a full destination deletes nothing, and says why', async (t) => {
  const source = new MemoryObjectStore('s3://site');
  const destination = new MemoryObjectStore('blob://$web');
  for (const key of keys(5)) destination.add(key);
  const summary = await mirror(source, destination);
  t.equal(summary.deleted, 0);
  t.same(destination.deleted, [], 'not one delete asked');
  t.same(destination.keys(), keys(5), 'the destination is unchanged');
  t.equal(summary.deletionsWithheld, 5);
  t.same(summary.brake, {
    reason: 'site: s3://site lists no objects while blob://$web holds 5: wrong bucket, credentials or policy? nothing deleted',
    planned: 5, destinationCount: 5, limit: 0,
  }, 'held even below sync.maxDeleteMinimum');
  t.notOk(summary.deletesAllowed);
});

t.test('60 % of a 50-object mirror gone at the source: nothing deleted, the copies still made; allowed, the deletes go', async (t) => {
  const { source, destination } = await mirrored(t, 50);
  const gone = keys(50).slice(0, 30);
  for (const key of gone) source.objects.delete(key);
  source.add('page-new.html');
  source.add(keys(50)[40]!, 'changed since the last mirror');

  const held = await mirror(source, destination);
  t.same(held.brake, {
    reason: 'site: 30 of the 50 objects at blob://$web would be deleted, more than the limit of 12 (sync.maxDeleteRatio 25 %, sync.maxDeleteMinimum 10): nothing deleted; allow them with --allow-deletes',
    planned: 30, destinationCount: 50, limit: 12,
  });
  t.equal(held.deletionsWithheld, 30);
  t.equal(held.deleted, 0);
  t.same(destination.deleted, []);
  t.ok(gone.every((key) => destination.objects.has(key)), 'every object still at the destination');
  t.equal(held.copied, 2, 'the new and the changed objects copied all the same');
  t.equal(destination.objects.get(keys(50)[40]!)?.bytes.toString(), 'changed since the last mirror');
  t.equal(held.failed, 0);

  const allowed = await mirror(source, destination, { ...DEFAULT_DELETE_LIMITS, allow: true });
  t.equal(allowed.brake, undefined);
  t.equal(allowed.deletesAllowed, true, 'the override is on the record');
  t.equal(allowed.deleted, 30);
  t.same([...destination.deleted].sort(), gone);
  t.equal(allowed.deletionsWithheld, 0);
});

t.test('a page deleted at the source is deleted at the destination, as ever', async (t) => {
  const { source, destination } = await mirrored(t, 50);
  source.objects.delete('page-007.html');
  const summary = await mirror(source, destination);
  t.equal(summary.deleted, 1);
  t.same(destination.deleted, ['page-007.html']);
  t.equal(summary.brake, undefined);
  t.equal(summary.deletesAllowed, undefined, 'no override needed, none recorded');

  // Up to sync.maxDeleteMinimum always passes, whatever the share.
  const small = await mirrored(t, 12);
  for (const key of keys(12).slice(0, 10)) small.source.objects.delete(key);
  const most = await mirror(small.source, small.destination);
  t.equal(most.deleted, 10, '10 of 12 deleted: within the minimum');
  t.equal(most.brake, undefined);
});

t.test('a listing that goes backwards fails the run with class safety, and nothing is deleted', async (t) => {
  for (const side of ['source', 'destination'] as const) {
    const { source, destination } = await mirrored(t, 50);
    source.objects.delete('page-003.html');
    // A page of the listing served twice: what it skipped would look deleted.
    const lying = side === 'source' ? source : destination;
    lying.listed = (all) => [...all.filter((k) => k < 'page-020.html'), ...all.filter((k) => k >= 'page-010.html')];
    const error = await mirror(source, destination).then(() => undefined, (err: unknown) => err);
    t.ok(error instanceof SafetyError, `${side}: a SafetyError`);
    t.equal(classifyFailure(error), 'safety');
    t.match((error as Error).message, `listing of ${lying.name} went backwards at key "page-010.html" after "page-019.html"`);
    t.same(destination.deleted, [], `${side}: not one delete`);
    t.ok(destination.objects.has('page-003.html'));
  }
});

t.test('deleteVerdict: the limit is the larger of the minimum and the share, held only above it', async (t) => {
  const plan = (planned: number, destinationCount: number, sourceCount = destinationCount - planned): DeletePlan =>
    ({ flow: 'f', noun: 'objects', source: 's', destination: 'd', sourceCount, destinationCount, planned });
  const limits = { maxRatio: 0.29, minimum: 10, allow: false };
  t.same(deleteVerdict(plan(29, 100), limits), {}, '29 % of 100 is 29, not 28.99…');
  t.equal(deleteVerdict(plan(30, 100), limits).brake?.limit, 29);
  t.same(deleteVerdict(plan(10, 11), limits), {}, 'the minimum');
  t.equal(deleteVerdict(plan(11, 11, 0), limits).brake?.limit, 0, 'an empty source: none allowed');
  t.same(deleteVerdict(plan(11, 11, 0), { ...limits, allow: true }), { deletesAllowed: true }, 'unless the override says so');
  t.same(deleteVerdict(plan(0, 0, 0), limits), {}, 'both empty: nothing to brake');
});
