/**
 * Who may read what: runs, reports, messages and the audit log need a valid token (any role);
 * health, metrics, readiness, checks and syncs stay open, and /metrics carries nothing a
 * token guards.
 */
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import type { CheckRunner } from '../../src/checks/runner.js';
import { NotFoundError } from '../../src/core/errors.js';
import { createMetrics } from '../../src/metrics/index.js';
import { Communications } from '../../src/runbooks/communications.js';
import type { RunbookService } from '../../src/runbooks/service.js';
import { openStore } from '../../src/store/index.js';
import type { SyncService } from '../../src/sync/service.js';
import { ROLES } from '../../src/core/roles.js';
import { testConfig, tokenOf } from './harness.js';

/** Texts only a token holder may read, each with a marker: a marker in /metrics would be a leak. */
const GUARDED = {
  reason: 'approved because the CEO said so GUARDED-REASON',
  message: 'war room: alice, bob GUARDED-ROSTER',
  rootCause: 'expired credential GUARDED-ROOT-CAUSE',
  syncError: 'AccountKey=GUARDED-ACCOUNT-KEY== was refused',
};

/** The app with every route plugin; the runbook and sync engines are not exercised by reading. */
async function fullApp(t: Test) {
  const clock = { now: () => new Date('2025-03-03T10:00:00Z') };
  const config = testConfig();
  const store = openStore(join(t.testdir(), 'drsentinel.db'), { clock });
  t.teardown(() => store.close());
  const metrics = createMetrics();
  const engine = {
    list: () => [],
    view: (id: string) => {
      throw new NotFoundError(`runbook run ${id} does not exist`);
    },
  };
  const checks = { checkIds: () => [], isRunning: () => false } as unknown as CheckRunner;
  const app = await buildApp({
    config, store, metrics, clock, checks,
    syncs: {} as SyncService,
    runbooks: { engine } as unknown as RunbookService,
    comms: new Communications(store, () => [], () => []),
  });
  t.teardown(() => app.close());
  await app.ready();
  return { app, store, config };
}

const bearer = (role: string) => ({ authorization: `Bearer ${tokenOf(role)}` });

const GUARDED_READS = ['/api/v1/runs', '/api/v1/runs/some-run', '/api/v1/reports', '/api/v1/reports/some-report', '/api/v1/messages', '/api/v1/audit'];
const OPEN_READS = ['/health', '/metrics', '/api/v1/readiness', '/api/v1/checks', '/api/v1/syncs'];

t.test('reading runs, reports, messages and the audit log needs a valid token', async (t) => {
  const { app } = await fullApp(t);
  for (const url of GUARDED_READS) {
    const anonymous = await app.inject({ url });
    t.equal(anonymous.statusCode, 401, `${url} without a token`);
    t.equal(anonymous.headers['www-authenticate'], 'Bearer realm="drsentinel"');
    t.same(anonymous.json(), { error: 'unauthorized', message: 'this action needs a bearer token: send "Authorization: Bearer <token>"' });
    t.equal((await app.inject({ url, headers: { authorization: 'Bearer not-a-token' } })).statusCode, 401, `${url} with a wrong token`);
    const viewer = await app.inject({ url, headers: bearer('viewer') });
    t.ok([200, 404].includes(viewer.statusCode), `${url}: a viewer passes the guard (${viewer.statusCode})`);
  }
});

t.test('health, metrics, readiness, checks and syncs stay open for load balancers and dashboards', async (t) => {
  const { app } = await fullApp(t);
  for (const url of OPEN_READS) t.equal((await app.inject({ url })).statusCode, 200, url);
});

t.test('the OpenAPI document asks for a token on every read of runs, reports, messages and the audit log', async (t) => {
  const { app } = await fullApp(t);
  const { paths } = (await app.inject({ url: '/docs/json' })).json() as { paths: Record<string, { get?: { security?: unknown } }> };
  const reads = Object.entries(paths).filter(([, ops]) => ops.get);
  const guarded = reads.filter(([path]) => /^\/api\/v1\/(runs|reports|messages|audit)(\/|$)/.test(path));
  t.ok(guarded.length >= 5, 'every guarded family is documented');
  for (const [path, ops] of guarded) t.same(ops.get!.security, [{ bearer: [] }], path);
  for (const path of OPEN_READS) t.equal(paths[path]?.get?.security, undefined, `${path} is open`);
});

t.test('/metrics, scraped after activity, shows no token, token hash, reason, message or error text', async (t) => {
  const { app, store, config } = await fullApp(t);
  const posted = await app.inject({ method: 'POST', url: '/api/v1/messages', headers: bearer('sre'), payload: { kind: 'internal-alert', text: GUARDED.message } });
  t.equal(posted.statusCode, 201, posted.body);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/reports/monthly', headers: bearer('operator'), payload: {} })).statusCode, 201);
  await store.audit.append({ actor: 'cto-holder', action: 'approval', target: 'run-1/integrity', details: { reason: GUARDED.reason, rootCause: GUARDED.rootCause } });
  await store.checks.record('smoke', 'api-health', {
    status: 'fail', reason: GUARDED.syncError, evidence: { token: tokenOf('cto') }, measurements: {}, startedAt: '2025-03-03T09:59:00.000Z', durationMs: 20,
  });
  const sync = await store.syncs.start('uploads', false);
  await store.syncs.finish(sync.id, 'failed', { error: GUARDED.syncError, failureClass: 'auth' });
  for (const url of GUARDED_READS) await app.inject({ url, headers: bearer('viewer') });

  const scrape = await app.inject({ url: '/metrics' });
  t.equal(scrape.statusCode, 200);
  t.match(scrape.body, /^dr_check_success\{suite="smoke",check="api-health"\} 0$/m, 'the activity is in the metrics');
  t.match(scrape.body, /^dr_sync_consecutive_failures\{flow="uploads"\} 1$/m);
  for (const [what, text] of Object.entries(GUARDED)) t.notMatch(scrape.body, /GUARDED-[A-Z-]+/.exec(text)![0], what);
  for (const role of ROLES) t.notMatch(scrape.body, tokenOf(role), `${role}'s token`);
  for (const { name, sha256 } of config.auth.tokens) t.notMatch(scrape.body, sha256.slice(0, 12), `${name}'s token hash`);
});
