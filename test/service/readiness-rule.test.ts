import t from 'tap';
import { assessReadiness, stalenessLimitMs, type ReadinessInput } from '../../src/checks/readiness.js';
import type { Status } from '../../src/core/result.js';
import type { SyncRunRecord } from '../../src/store/types.js';

const NOW = new Date('2025-03-10T12:00:00Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

function check(suite: string, name: string, status: Status, startedAt: string) {
  return { suite, check: name, result: { status, reason: `${name} said ${status}`, evidence: {}, measurements: {}, startedAt, durationMs: 10 } };
}

function synced(flow: SyncRunRecord['flow'], startedAt: string, verifiedThrough?: string): SyncRunRecord {
  return { id: flow, flow, reverse: false, status: 'succeeded', startedAt, finishedAt: startedAt, summary: {}, ...(verifiedThrough ? { verifiedThrough } : {}) };
}

function input(over: Partial<ReadinessInput> = {}): ReadinessInput {
  return {
    now: NOW,
    checks: [check('monthly', 'website', 'pass', minutesAgo(60 * 24 * 7)), check('standby', 'api', 'pass', minutesAgo(4))],
    lastSuccess: { site: synced('site', minutesAgo(60)), uploads: synced('uploads', minutesAgo(60)), metadata: synced('metadata', minutesAgo(30), minutesAgo(90)) },
    rpoHours: 24,
    probeEveryMinutes: 5,
    estimatedRtoSeconds: null,
    ...over,
  };
}

t.test('staleness limits: three probe intervals, 32 days for the monthly suite, none for on-demand suites', async (t) => {
  t.equal(stalenessLimitMs('standby', 5), 15 * 60_000);
  t.equal(stalenessLimitMs('standby', 10), 30 * 60_000);
  t.equal(stalenessLimitMs('monthly', 5), 32 * 24 * 3600_000);
  for (const suite of ['smoke', 'e2e', 'complementary', 'sampling']) t.equal(stalenessLimitMs(suite, 5), Infinity, suite);
});

t.test('an on-demand result stands until the next run, however old', async (t) => {
  const r = assessReadiness(input({ checks: [check('smoke', 'api', 'fail', minutesAgo(60 * 24 * 90))] }));
  t.equal(r.checks[0]!.stale, false);
  t.match(r.reasons, [/^smoke\/api fail: api said fail$/]);
});

t.test('everything fresh and passing, every flow within the RPO: ready', async (t) => {
  const r = assessReadiness(input());
  t.equal(r.verdict, 'ready');
  t.equal(r.score, 1);
  t.same(r.reasons, []);
  t.same(r.rpo.map((f) => [f.flow, f.seconds, f.withinTarget]), [['site', 3600, true], ['uploads', 3600, true], ['metadata', 5400, true]]);
  t.equal(r.rpo[2]!.lastVerifiedAt, minutesAgo(90), 'metadata RPO counts from the export time it verified');
  t.same(r.rtoTargetSeconds, { min: 7200, max: 14400 });
  t.equal(r.generatedAt, NOW.toISOString());
});

t.test('nothing has run yet: unknown, score 0', async (t) => {
  const r = assessReadiness(input({ checks: [], lastSuccess: { site: undefined, uploads: undefined, metadata: undefined } }));
  t.equal(r.verdict, 'unknown');
  t.equal(r.score, 0);
  t.equal(r.reasons[0], 'no check has run yet');
  t.same(r.rpo.map((f) => [f.seconds, f.lastVerifiedAt, f.withinTarget]), [[null, null, false], [null, null, false], [null, null, false]]);
});

t.test('a stale pass counts as failed', async (t) => {
  const r = assessReadiness(input({ checks: [check('standby', 'api', 'pass', minutesAgo(16)), check('monthly', 'website', 'pass', minutesAgo(60 * 24 * 33))] }));
  t.equal(r.verdict, 'not-ready');
  t.equal(r.score, 0);
  t.same(r.checks.map((c) => c.stale), [true, true]);
  t.match(r.reasons, [/^standby\/api is stale: last run 16 min ago, limit 15 min$/, /^monthly\/website is stale: last run 33 days ago/]);
});

t.test('a result just inside the limit is fresh', async (t) => {
  const r = assessReadiness(input({ checks: [check('standby', 'api', 'pass', minutesAgo(15))] }));
  t.equal(r.checks[0]!.stale, false);
  t.equal(r.verdict, 'ready');
});

t.test('a failing, warning or skipped check lowers the score and blocks ready', async (t) => {
  const r = assessReadiness(input({
    checks: [check('smoke', 'a', 'pass', minutesAgo(1)), check('smoke', 'b', 'fail', minutesAgo(1)), check('smoke', 'c', 'warn', minutesAgo(1)), check('smoke', 'd', 'skip', minutesAgo(1))],
  }));
  t.equal(r.verdict, 'not-ready');
  t.equal(r.score, 0.25);
  t.same(r.reasons, ['smoke/b fail: b said fail', 'smoke/c warn: c said warn', 'smoke/d skip: d said skip']);
});

t.test('a flow over the RPO target, or never synced, blocks ready', async (t) => {
  const over = assessReadiness(input({ lastSuccess: { ...input().lastSuccess, uploads: synced('uploads', minutesAgo(25 * 60)) } }));
  t.equal(over.verdict, 'not-ready');
  t.equal(over.score, 1, 'the score is about checks only');
  t.same(over.rpo[1], { flow: 'uploads', seconds: 25 * 3600, lastVerifiedAt: minutesAgo(25 * 60), withinTarget: false });
  t.same(over.reasons, ['uploads RPO is 25 h 0 min, over the 24 h target']);

  const never = assessReadiness(input({ lastSuccess: { ...input().lastSuccess, site: undefined } }));
  t.equal(never.verdict, 'not-ready');
  t.same(never.reasons, ['site sync has never succeeded: RPO unknown']);
});

t.test('an open contingency keeps the verdict from ready and says which run holds it', async (t) => {
  const calm = assessReadiness(input());
  t.equal(calm.verdict, 'ready');
  t.equal(calm.contingency, null);
  const held = assessReadiness(input({ contingency: { runId: 'run-7', runbook: 'activation', since: minutesAgo(30) } }));
  t.equal(held.verdict, 'not-ready');
  t.same(held.contingency, { runId: 'run-7', runbook: 'activation', since: minutesAgo(30) });
  t.match(held.reasons[0], /^in contingency since .* \(run run-7, activation\): the standby serves, and forward syncs are held until the rollback's DNS cutback$/);
});
