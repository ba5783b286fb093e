import t from 'tap';
import type { Result } from '../../src/core/result.js';
import { harness } from './harness.js';

const result = (status: Result['status'], startedAt: string): Result => ({ status, reason: `it said ${status}`, evidence: {}, measurements: {}, startedAt, durationMs: 120 });

t.test('GET /api/v1/readiness follows the store: unknown, not-ready, ready, stale', async (t) => {
  const h = await harness(t);
  const get = async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/readiness' });
    t.equal(res.statusCode, 200);
    return res.json();
  };

  const empty = await get();
  t.same(empty, {
    verdict: 'unknown',
    score: 0,
    reasons: ['no check has run yet', 'site sync has never succeeded: RPO unknown', 'uploads sync has never succeeded: RPO unknown', 'metadata sync has never succeeded: RPO unknown'],
    checks: [],
    rpo: ['site', 'uploads', 'metadata'].map((flow) => ({ flow, seconds: null, lastVerifiedAt: null, withinTarget: false })),
    estimatedRtoSeconds: null,
    rtoTargetSeconds: { min: 7200, max: 14400 },
    contingency: null,
    generatedAt: '2025-03-03T10:00:00.000Z',
  });

  await h.store.checks.record('monthly', 'website-index', result('pass', '2025-03-03T09:58:00.000Z'));
  await h.store.checks.record('standby', 'api-health', result('fail', '2025-03-03T09:59:00.000Z'));
  const failing = await get();
  t.equal(failing.verdict, 'not-ready');
  t.equal(failing.score, 0.5);
  t.same(failing.checks[1], { suite: 'standby', check: 'api-health', status: 'fail', reason: 'it said fail', startedAt: '2025-03-03T09:59:00.000Z', durationMs: 120, stale: false });

  await h.store.checks.record('standby', 'api-health', result('pass', '2025-03-03T10:00:00.000Z'));
  for (const flow of ['site', 'uploads', 'metadata'] as const) {
    const run = await h.store.syncs.start(flow, false);
    await h.store.syncs.finish(run.id, 'succeeded', {}, flow === 'metadata' ? '2025-03-03T09:00:00.000Z' : undefined);
  }
  const ready = await get();
  t.equal(ready.verdict, 'ready');
  t.equal(ready.score, 1);
  t.same(ready.reasons, []);
  t.same(ready.rpo.map((f: { seconds: number }) => f.seconds), [0, 0, 3600]);

  h.setNow('2025-03-03T10:16:00Z');
  const stale = await get();
  t.equal(stale.verdict, 'not-ready', 'probe results older than 3 × 5 min count as failed');
  t.equal(stale.score, 0.5, 'the monthly result is still fresh');
  t.same(stale.checks.map((c: { stale: boolean }) => c.stale), [false, true]);
});
