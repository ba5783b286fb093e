import t from 'tap';
import { harness } from './harness.js';

/** Every family of design.md, "Metrics". */
const DR_FAMILIES = [
  'dr_check_success',
  'dr_check_duration_seconds',
  'dr_check_last_run_timestamp_seconds',
  'dr_sync_last_success_timestamp_seconds',
  'dr_sync_consecutive_failures',
  'dr_sync_objects_total',
  'dr_sync_bytes_total',
  'dr_sync_duration_seconds',
  'dr_sync_integrity_ratio',
  'dr_rpo_seconds',
  'dr_tls_certificate_expiry_timestamp_seconds',
  'dr_dns_resolvers_agreeing',
  'dr_readiness',
  'dr_readiness_score',
  'dr_runbook_step_duration_seconds',
  'dr_estimated_rto_seconds',
];

t.test('GET /metrics exposes every dr_ family and the process metrics', async (t) => {
  const h = await harness(t);
  const res = await h.app.inject({ method: 'GET', url: '/metrics' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  for (const name of DR_FAMILIES) {
    t.match(res.body, new RegExp(`^# HELP ${name} \\S.{20,}$`, 'm'), `${name} has a HELP line that says something`);
    t.match(res.body, new RegExp(`^# TYPE ${name} (gauge|counter)$`, 'm'), `${name} has a TYPE line`);
  }
  t.match(res.body, /^# TYPE dr_sync_objects_total counter$/m, 'counters end in _total');
  t.match(res.body, /^process_cpu_user_seconds_total \d/m, 'process metrics');
  t.match(res.body, /^nodejs_eventloop_lag_seconds /m, 'node runtime metrics');
  t.notMatch(res.body, /^dr_estimated_rto_seconds /m, 'no RTO sample before any drill has measured one');
  t.match(res.body, /^dr_readiness 0$/m);
  t.match(res.body, /^dr_sync_consecutive_failures\{flow="site"\} 0$/m, 'every flow has its failure streak');
});

t.test('stored results are projected onto the gauges at scrape time', async (t) => {
  const h = await harness(t);
  await h.store.checks.record('monthly', 'website-index', {
    status: 'pass', reason: 'index.html answered 200', evidence: {}, measurements: {}, startedAt: '2025-03-03T09:59:00.000Z', durationMs: 1500,
  });
  await h.store.checks.record('smoke', 'api-health', {
    status: 'fail', reason: 'HTTP 503', evidence: {}, measurements: {}, startedAt: '2025-03-03T09:59:30.000Z', durationMs: 250,
  });
  const body = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(body, /^dr_check_success\{suite="monthly",check="website-index"\} 1$/m);
  t.match(body, /^dr_check_success\{suite="smoke",check="api-health"\} 0$/m);
  t.match(body, /^dr_check_duration_seconds\{suite="monthly",check="website-index"\} 1\.5$/m);
  t.match(body, new RegExp(`^dr_check_last_run_timestamp_seconds\\{suite="smoke",check="api-health"\\} ${Date.parse('2025-03-03T09:59:30Z') / 1000}$`, 'm'));
  t.match(body, /^dr_readiness_score 0\.5$/m, 'the same rule as /api/v1/readiness');
  t.match(body, /^dr_readiness 0$/m);
});

t.test('sync runs set the last-success time, the failure streak and the RPO', async (t) => {
  const h = await harness(t);
  h.setNow('2025-03-03T03:00:00Z');
  const ok = await h.store.syncs.start('uploads', false);
  h.setNow('2025-03-03T03:10:00Z');
  await h.store.syncs.finish(ok.id, 'succeeded', {});
  for (let i = 0; i < 2; i++) await h.store.syncs.finish((await h.store.syncs.start('uploads', false)).id, 'failed', {});
  h.setNow('2025-03-03T05:00:00Z');
  const body = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(body, new RegExp(`^dr_sync_last_success_timestamp_seconds\\{flow="uploads"\\} ${Date.parse('2025-03-03T03:10:00Z') / 1000}$`, 'm'));
  t.match(body, /^dr_sync_consecutive_failures\{flow="uploads"\} 2$/m);
  t.match(body, /^dr_rpo_seconds\{flow="uploads"\} 7200$/m, 'RPO counts from the start of the verified run');
  t.notMatch(body, /^dr_rpo_seconds\{flow="site"\}/m, 'no RPO sample for a flow never synced');
});
