/**
 * A sync asked of a replica that does not lead: it is recorded queued, and the leader runs it
 * within about a second under the same id, so the answer (202 with its ids) and the run's view
 * are the same through any replica. First the store (a follower queues, only the leader claims),
 * then the service on one SQLite store (a follower's service and a leader's, no cloud reached
 * before the run begins), then two replica processes on PostgreSQL behind "any replica".
 */
import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import type { Adapters } from '../../src/adapters/index.js';
import { loadConfig } from '../../src/config/load.js';
import { ConflictError } from '../../src/core/errors.js';
import { createMetrics } from '../../src/metrics/index.js';
import { openPostgresStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { SyncService } from '../../src/sync/service.js';
import { withLab } from '../helpers/lab.js';
import { freshDatabase, postgresMissing } from '../helpers/postgres.js';
import { replicas } from '../helpers/replicas.js';
import { tempStore } from '../store/temp-store.js';

const skip = postgresMissing ? { skip: postgresMissing } : {};

await t.test('the store: a follower queues a run; only the leader claims it, once', skip, async (t) => {
  const url = await freshDatabase(t);
  const open = async (holder: string) => {
    const opened = await openPostgresStore({ url, holder, leaseSeconds: 60, onError: () => undefined });
    t.teardown(() => opened.store.close());
    return opened;
  };
  const leader = await open('leader');
  const follower = await open('follower');
  t.equal(await leader.lease.acquireOrRenew(), 1);
  t.equal(await follower.lease.acquireOrRenew(), 0);

  const queued = await follower.store.syncs.enqueue('site', false, { by: 'alice' });
  t.match(queued, { flow: 'site', status: 'queued', summary: { request: { by: 'alice' } } }, 'queueing is not fenced: any replica asks');
  await t.rejects(follower.store.syncs.claim(queued.id), { name: 'FencedError' }, 'a follower does not claim');
  t.same(await leader.store.syncs.queued(), [queued], 'the refused claim changed nothing');

  t.match(await leader.store.syncs.claim(queued.id), { id: queued.id, status: 'running' });
  t.equal(await leader.store.syncs.claim(queued.id), undefined, 'claimed twice: the second takes nothing');
  t.equal((await follower.store.syncs.get(queued.id))?.status, 'running', 'the follower reads it running');
});

const { config } = loadConfig(fileURLToPath(new URL('../fixtures/config/minimal.yaml', import.meta.url)), { DRS_TEST_BLOB: 'UseDevelopmentStorage=true', DRS_TEST_COSMOS_KEY: 'x' });

/** A follower's service and a leader's on one store; every adapter call throws, so a run that begins fails at once. */
function services(t: Test) {
  const { store, clock } = tempStore(t);
  const logged: string[] = [];
  const adapters = new Proxy({}, { get: () => { throw new Error('an adapter was reached'); } }) as Adapters;
  const service = (acting: boolean) => {
    const syncs = new SyncService({ config, adapters, store, metrics: createMetrics(), clock, log: (_l, msg) => void logged.push(msg), acting: () => acting });
    t.teardown(() => syncs.close());
    return syncs;
  };
  return { store, clock, logged, follower: service(false), leader: service(true) };
}

const queuedOnly = async (store: Store) => (await store.syncs.list(10)).every((r) => r.status === 'queued');

await t.test('a follower queues what it is asked, with the request; the answer is the queued run', async (t) => {
  const { store, follower } = services(t);
  const one = await follower.start('uploads', { reverse: true, since: new Date('2026-03-01T00:00:00Z'), by: 'alice' });
  t.match(one, { flow: 'uploads', reverse: true, status: 'queued', summary: { request: { since: '2026-03-01T00:00:00.000Z', by: 'alice' } } });
  const all = await follower.startMany(['site', 'uploads', 'metadata'], { allowDeletes: true });
  t.same(all.map((r) => [r.flow, r.status]), [['site', 'queued'], ['uploads', 'queued'], ['metadata', 'queued']], 'every flow, none refused: whether a flow runs is the leader\'s to see');
  t.same((await store.syncs.queued()).map((r) => r.id), [one.id, ...all.map((r) => r.id)], 'oldest first, in the order asked');
  const joined = await follower.startOrJoin('site');
  t.equal((await store.syncs.get(joined))?.status, 'queued', 'nothing here to join: queued too');
  t.match(await follower.view(one.id), { id: one.id, status: 'queued' });
  t.ok(await queuedOnly(store), 'nothing ran on the follower');

  await store.contingencies.begin('run-1', 'activation');
  await t.rejects(follower.start('site'), ConflictError, 'the contingency is looked at first, as on the leader');
  t.equal((await store.syncs.queued()).length, 5, 'the refused run was not queued');
});

await t.test('the leader takes a queued run up under its id and runs it with its request', async (t) => {
  const { store, logged, follower, leader } = services(t);
  const queued = await follower.start('site', { by: 'alice' });
  await leader.carryOn();
  const run = await leader.wait(queued.id);
  t.match(run, { id: queued.id, status: 'failed', summary: { error: /an adapter was reached/ } }, 'it ran (and, without clouds, failed) under the id answered');
  t.ok(logged.includes(`sync site run ${queued.id}, asked of another replica by alice, taken up here`), 'the leader names who asked');
  await leader.carryOn();
  t.equal((await store.syncs.list(10)).length, 1, 'taken up once');
});

await t.test('a queued run waits while its flow runs, and is taken up once the flow is free', async (t) => {
  const { store, follower, leader } = services(t);
  const elsewhere = await store.syncs.start('metadata', false);
  const queued = await follower.start('metadata', { reverse: true, since: new Date('2026-03-01T00:00:00Z') });
  await leader.carryOn();
  t.same((await store.syncs.queued()).map((r) => r.id), [queued.id], 'still queued while the flow runs in another process');
  await store.syncs.finish(elsewhere.id, 'succeeded', {});
  await leader.carryOn();
  t.match(await leader.wait(queued.id), { id: queued.id, reverse: true, status: 'failed' }, 'then taken up');
});

await t.test('a forward run queued before a contingency began is not run: it ends interrupted, saying why', async (t) => {
  const { store, logged, follower, leader } = services(t);
  const forward = await follower.start('uploads');
  const reverse = await follower.start('site', { reverse: true, since: new Date('2026-03-01T00:00:00Z') });
  await store.contingencies.begin('run-1', 'activation');
  await leader.carryOn();
  t.match(await store.syncs.get(forward.id), { status: 'interrupted', summary: { error: /^not run: drsentinel is in contingency since .* \(run run-1, activation\)/ } });
  t.equal(await store.syncs.consecutiveFailures('uploads'), 0, 'not a failure of the flow');
  t.ok(logged.some((line) => line.startsWith(`queued sync uploads run ${forward.id} not run: drsentinel is in contingency`)));
  t.match(await leader.wait(reverse.id), { status: 'failed' }, 'a reverse run is never held: it was taken up');
});

await t.test('two replicas: a sync asked of the follower is run by the leader, seen the same through either', skip, async (t) => {
  const lab = await withLab(t);
  const { start, until, leaderOf } = replicas(t, lab, await freshDatabase(t));
  const [a, b] = [await start('a'), await start('b')];
  const leader = await leaderOf([a, b]);
  const follower = leader === a ? b : a;
  t.match(await follower.health(), { role: 'follower', store: 'postgres' });

  const asked = Date.now();
  const answer = await follower.call('POST', '/api/v1/syncs/site/run', 'operator', {});
  t.equal(answer.status, 202, JSON.stringify(answer.body));
  const [id] = answer.body.ids as string[];
  t.ok(id, 'one run id');
  const begun = await until(follower, `/api/v1/syncs/${id}`, (r) => r.status !== 'queued', 10_000);
  t.ok(Date.parse(begun.startedAt) - asked < 3000, `the leader began it within about a second (${Date.parse(begun.startedAt) - asked} ms)`);
  const run = await until(follower, `/api/v1/syncs/${id}`, (r) => r.status !== 'running');
  t.equal(run.status, 'succeeded', JSON.stringify(run.summary).slice(0, 500));
  t.same(await (await leader.call('GET', `/api/v1/syncs/${id}`, 'viewer')).body, run, 'the leader answers the same');
  t.same((await leader.call('GET', '/api/v1/syncs?flow=site', 'viewer')).body.runs.map((r: { id: string }) => r.id), [id], 'one run, under the id the follower answered');
  const audit = (await follower.call('GET', '/api/v1/audit?limit=10', 'viewer')).body;
  t.match(audit.rows.find((r: { action: string }) => r.action === 'sync.run'), { actor: 'demo-operator', target: 'site', details: { runs: [id] } });
});
