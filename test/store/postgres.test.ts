/**
 * The PostgreSQL store: the contract, then what only PostgreSQL has — replicas that share it,
 * one of them leading under a lease that fences its writes, and migrations that several
 * replicas starting together run once.
 */
import t, { type Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { openPostgresStore, type PostgresStoreOptions } from '../../src/store/index.js';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres-schema.js';
import { numbered } from '../../src/store/sql.js';
import { storeContract, type StoreEngine } from '../contract/store.js';
import { freshDatabase, postgresMissing } from '../helpers/postgres.js';
import { ManualClock } from './temp-store.js';

/** A store on `url` as replica `holder`, closed when `t` ends. */
async function replica(t: Test, url: string, holder: string, o: Partial<PostgresStoreOptions> = {}) {
  const opened = await openPostgresStore({ url, holder, leaseSeconds: 60, onError: () => undefined, ...o });
  t.teardown(() => opened.store.close());
  return opened;
}

/** A client of its own on `url`, as someone with direct access to the database. */
async function direct(t: Test, url: string) {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  t.teardown(() => client.end());
  return client;
}

const postgres: StoreEngine = {
  name: 'postgres',
  async open(t, clock = new ManualClock()) {
    const url = await freshDatabase(t);
    // The replica that leads: the contract's fenced writes go through.
    const leading = async () => {
      const { store, lease } = await openPostgresStore({ url, clock, holder: 'contract', leaseSeconds: 60, onError: () => undefined });
      if ((await lease.acquireOrRenew()) === 0) throw new Error('the contract store does not lead');
      return store;
    };
    let current = await leading();
    t.teardown(() => current.close());
    let raw: pg.Client | undefined;
    t.teardown(() => raw?.end());
    return {
      store: current,
      clock,
      async reopen() {
        await current.close();
        current = await leading();
        return current;
      },
      async tamper(sql, params = []) {
        if (!raw) {
          raw = new pg.Client({ connectionString: url });
          raw.on('error', () => undefined);
          await raw.connect();
        }
        await raw.query(numbered(sql), params);
      },
    };
  },
};

const skip = postgresMissing ? { skip: postgresMissing } : {};

await t.test('PostgreSQL passes the Store contract', skip, (t) => storeContract(t, postgres));

await t.test('the lease: one leader at a time, whose writes are fenced when it loses it', skip, async (t) => {
  const url = await freshDatabase(t);
  const a = await replica(t, url, 'a', { leaseSeconds: 1 });
  const b = await replica(t, url, 'b', { leaseSeconds: 1 });
  t.equal(await a.lease.acquireOrRenew(), 1);
  t.equal(await b.lease.acquireOrRenew(), 0, 'b follows');
  t.match(await b.lease.current(), { holder: 'a', epoch: 1 });

  const run = await a.store.syncs.start('site', false);
  t.equal(run.status, 'running', "the leader's fenced write succeeds");
  await t.rejects(b.store.syncs.start('uploads', false), { name: 'FencedError', message: /b does not lead/ });
  t.same((await b.store.syncs.list(10)).map((r) => r.id), [run.id], "the follower's refused start wrote nothing");
  t.equal((await b.store.syncs.get(run.id))?.status, 'running', 'a follower reads what the leader wrote');

  await sleep(1200);
  t.equal(await b.lease.acquireOrRenew(), 2, 'a did not renew: b takes over at a new epoch');
  await t.rejects(a.store.syncs.finish(run.id, 'succeeded', { durationMs: 1 }), {
    name: 'FencedError',
    message: /a lost the lease of epoch 1; it is held by b at epoch 2/,
  });
  t.equal(a.lease.epoch(), 0, 'a knows it no longer leads');
  await t.rejects(a.store.syncs.start('uploads', false), { name: 'FencedError' });
  t.same(await b.store.syncs.get(run.id), run, "nothing of the deposed leader's writes was kept");
  t.equal((await b.store.syncs.list(10)).length, 1);

  await b.store.syncs.finish(run.id, 'interrupted', {});
  t.equal((await a.store.syncs.get(run.id))?.status, 'interrupted', "the new leader's write");
  await b.lease.release();
  t.equal(b.lease.epoch(), 0);
  t.equal(await a.lease.acquireOrRenew(), 3, 'released: a takes it at once, without waiting it out');
  t.equal(await b.lease.acquireOrRenew(), 0);
  t.match(await a.store.syncs.start('site', false), { status: 'running' });
  await t.rejects(b.store.syncs.start('metadata', false), { name: 'FencedError' });
});

await t.test('a replica that does not lead writes no fenced state; what a person does it records', skip, async (t) => {
  const url = await freshDatabase(t);
  const leader = await replica(t, url, 'leader');
  const follower = await replica(t, url, 'follower');
  t.equal(await leader.lease.acquireOrRenew(), 1);
  t.equal(await follower.lease.acquireOrRenew(), 0);
  const sync = await leader.store.syncs.start('uploads', false);
  const runId = 'run-1';
  const steps = [{ stepId: 'announce', title: 'Announce' }];
  // Starting a run, a decision, an abort, a message, the audit log: any replica, for the leader to act on.
  await follower.store.runs.create({ id: runId, runbook: 'activation', dryRun: false, params: {}, startedBy: 'alice' }, steps);
  t.equal(await follower.store.runs.requestAbort(runId, { by: 'carol', reason: 'r', undo: false, at: '2026-03-02T03:00:00.000Z' }), true);
  t.equal(await follower.store.runs.addApproval({ runId, gate: 'g', role: 'cto', decision: 'approve', by: 'carol', reason: 'ok', at: '2026-03-02T03:00:00.000Z' }), true);
  await follower.store.audit.append({ actor: 'carol', action: 'x', target: 'y', details: {} });
  await follower.store.checks.record('s', 'c', { status: 'pass', reason: 'ok', evidence: {}, measurements: {}, startedAt: '2026-03-02T03:00:00.000Z', durationMs: 1 });
  await follower.store.reports.save({ kind: 'monthly', period: '2026-03', format: 'md', body: '#' });
  await follower.store.messages.create({ kind: 'status-update', audience: 'internal', status: 'sending', subject: 's', body: 'b', createdBy: 'carol' });

  const fenced: Array<[string, () => Promise<unknown>]> = [
    ['syncs.start', () => follower.store.syncs.start('site', false)],
    ['syncs.update', () => follower.store.syncs.update(sync.id, { progress: { copied: 1 } })],
    ['syncs.finish', () => follower.store.syncs.finish(sync.id, 'failed', {})],
    ['syncs.markInterrupted', () => follower.store.syncs.markInterrupted()],
    ['runs.setStatus', () => follower.store.runs.setStatus(runId, 'aborted')],
    ['runs.updateStep', () => follower.store.runs.updateStep(runId, 'announce', { status: 'running' })],
    ['jobs.recordRun', () => follower.store.jobs.recordRun('sync', new Date('2026-03-02T03:00:00Z'))],
    ['alerts.open', () => follower.store.alerts.open({ flow: 'site', streakStart: '2026-03-01', failureClass: 'x', failedDays: [], lastError: 'e' })],
    ['alerts.recover', () => follower.store.alerts.recover('site', '2026-03-01')],
    ['alerts.markSent', () => follower.store.alerts.markSent('site', '2026-03-01', 'alert', 'email')],
    ['contingencies.begin', () => follower.store.contingencies.begin(runId, 'activation')],
    ['contingencies.end', () => follower.store.contingencies.end(runId)],
  ];
  for (const [what, write] of fenced) await t.rejects(write(), { name: 'FencedError' }, what);
  t.equal((await leader.store.syncs.get(sync.id))?.status, 'running');
  t.same(await leader.store.syncs.get(sync.id), sync);
  t.match(await leader.store.runs.get(runId), { status: 'running', abortRequest: { by: 'carol' } });
  t.equal((await leader.store.runs.steps(runId))[0]?.status, 'pending');
  t.equal(await leader.store.jobs.lastRun('sync'), undefined);
  t.same(await leader.store.alerts.list(10), []);
  t.equal(await leader.store.contingencies.latest(), undefined);
  t.same(await leader.store.audit.verify(), { ok: true, rows: 1 });
});

await t.test('replicas that start together on a fresh database both open it, migrated once', skip, async (t) => {
  const url = await freshDatabase(t);
  const [one, two] = await Promise.all([replica(t, url, 'one'), replica(t, url, 'two')]);
  await t.resolves(one.store.ping());
  await t.resolves(two.store.ping());
  const db = await direct(t, url);
  const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  t.same(rows.map((r) => r.version), POSTGRES_MIGRATIONS.map((_, i) => i + 1));
  const [first, second] = await Promise.all([one.lease.acquireOrRenew(), two.lease.acquireOrRenew()]);
  t.same([first, second].sort(), [0, 1], 'of two replicas asking at once, one leads');
});

await t.test('reopening keeps the data and does not migrate again; a database newer than the code is refused', skip, async (t) => {
  const url = await freshDatabase(t);
  const first = await openPostgresStore({ url, holder: 'a', leaseSeconds: 60 });
  await first.store.reports.save({ kind: 'monthly', period: '2026-03', format: 'md', body: '# ok' });
  await first.store.close();
  const db = await direct(t, url);
  const versions = async () => (await db.query('SELECT version, applied_at FROM schema_migrations ORDER BY version')).rows;
  const before = await versions();
  const again = await replica(t, url, 'a');
  t.same(await versions(), before, 'no migration recorded twice');
  t.equal((await again.store.reports.list(10)).length, 1);
  t.equal(again.store.engine, 'postgres');

  await db.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [POSTGRES_MIGRATIONS.length + 1, new Date().toISOString()]);
  await t.rejects(openPostgresStore({ url, holder: 'b', leaseSeconds: 60 }), {
    name: 'UsageError',
    message: new RegExp(`schema version ${POSTGRES_MIGRATIONS.length + 1}, newer than the ${POSTGRES_MIGRATIONS.length} this drsentinel knows`),
  });
});

await t.test('replicas racing on one store: one live run, one decision per message, one audit chain', skip, async (t) => {
  const url = await freshDatabase(t);
  const one = await replica(t, url, 'one');
  const two = await replica(t, url, 'two');
  const steps = [{ stepId: 'announce', title: 'Announce' }];
  const created = await Promise.allSettled([one, two].map(({ store }, i) =>
    store.runs.create({ id: `run-${i}`, runbook: 'activation', dryRun: false, params: {}, startedBy: `person-${i}` }, steps)));
  const won = created.filter((c) => c.status === 'fulfilled');
  const lost = created.filter((c): c is PromiseRejectedResult => c.status === 'rejected');
  t.equal(won.length, 1, 'one live run');
  t.equal(lost.length, 1);
  const winner = (won[0] as PromiseFulfilledResult<{ id: string }>).value.id;
  t.match(lost[0]?.reason, { name: 'ConflictError', message: new RegExp(`run ${winner} \\(activation\\) is still running`) }, "the loser is told the winner's id");
  t.same((await one.store.runs.active()).map((r) => r.id), [winner]);

  const message = await one.store.messages.create({ kind: 'external-initial', audience: 'external', status: 'awaiting-approval', subject: 's', body: 'b', createdBy: 'alice' });
  const decided = await Promise.all([one, two].map(({ store }, i) =>
    store.messages.decide(message.id, { status: i ? 'rejected' : 'sending', decidedBy: `cto-${i}` }, { actor: `cto-${i}`, action: 'message.decide', target: message.id, details: {} })));
  t.same(decided.filter(Boolean).length, 1, 'one decision wins');
  t.equal((await two.store.audit.list({ limit: 10 })).length, 1, "only the winner's audit row");

  await Promise.all([one, two].flatMap(({ store }, i) =>
    Array.from({ length: 10 }, (_, n) => store.audit.append({ actor: `replica-${i}`, action: 'x', target: `t-${n}`, details: {} }))));
  t.same(await one.store.audit.verify(), { ok: true, rows: 21 }, 'appends from both replicas at once make one chain');
});
