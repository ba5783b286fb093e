import { join } from 'node:path';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { CheckRunner } from '../../src/checks/runner.js';
import { checkDeps, type CheckEntry } from '../../src/checks/suites.js';
import { adapterFactory } from '../../src/adapters/index.js';
import { buildControlPlane } from '../../src/adapters/control.js';
import { fail, pass } from '../../src/core/result.js';
import { createMetrics } from '../../src/metrics/index.js';
import { openStore } from '../../src/store/index.js';
import { testConfig, tokenOf } from '../service/harness.js';


async function service(t: Test) {
  const config = testConfig();
  const clock = { now: () => new Date() };
  const store = openStore(join(t.testdir(), 'drsentinel.db'), { clock });
  t.teardown(() => store.close());
  let siteUp = false;
  const checks: CheckEntry[] = [
    { id: 'static-site', title: 'site', suites: ['monthly', 'smoke'], build: () => ({ id: 'static-site', title: 'site', run: async () => (siteUp ? pass('200 OK') : fail('404 Not Found', { url: 'http://site/index.html' })) }) },
    { id: 'cosmos', title: 'cosmos', suites: ['monthly'], build: () => ({ id: 'cosmos', title: 'cosmos', run: async () => pass('written, read, deleted') }) },
  ];
  const metrics = createMetrics();
  const runner = new CheckRunner({ config, store, metrics, clock, deps: checkDeps(config, adapterFactory(config, {}), buildControlPlane(config, {})), checks });
  const app = await buildApp({ config, store, metrics, clock, checks: runner });
  t.teardown(async () => {
    await app.close();
    await runner.close();
  });
  return { app, store, repairSite: () => (siteUp = true) };
}

const bearer = (role: string) => ({ authorization: `Bearer ${tokenOf(role)}` });

t.test('POST /api/v1/checks/:suite/run needs an operator, SRE, tech lead or CTO', async (t) => {
  const { app, store } = await service(t);
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/checks/monthly/run' })).statusCode, 401);
  const viewer = await app.inject({ method: 'POST', url: '/api/v1/checks/monthly/run', headers: bearer('viewer') });
  t.equal(viewer.statusCode, 403);
  t.match(viewer.json().message, 'needs the role operator, sre, tech-lead or cto');
  t.same(await store.checks.latest(), [], 'nothing ran');
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/checks/weekly/run', headers: bearer('operator') })).statusCode, 400);
});

t.test("a run answers its results, and GET shows every check's latest result and its history", async (t) => {
  const { app, store, repairSite } = await service(t);
  const before = (await app.inject({ method: 'GET', url: '/api/v1/checks' })).json();
  t.same(before.checks.map((c: { suite: string; check: string; latest: unknown; historyLength: number }) => [c.suite, c.check, c.latest, c.historyLength]), [
    ['monthly', 'static-site', null, 0], ['monthly', 'cosmos', null, 0], ['smoke', 'static-site', null, 0],
  ], 'registered checks are listed before they ever run');

  const run = await app.inject({ method: 'POST', url: '/api/v1/checks/monthly/run', headers: bearer('sre') });
  t.equal(run.statusCode, 200);
  const [summary] = run.json().suites;
  t.equal(summary.suite, 'monthly');
  t.equal(summary.status, 'fail');
  t.same(summary.results.map((r: { check: string; result: { status: string; reason: string } }) => [r.check, r.result.status, r.result.reason]), [
    ['static-site', 'fail', '404 Not Found'], ['cosmos', 'pass', 'written, read, deleted'],
  ]);
  t.same((await store.audit.list({ limit: 10 })).map((a) => [a.actor, a.action, a.target]), [['sre-holder', 'check.run', 'monthly']]);

  repairSite();
  await app.inject({ method: 'POST', url: '/api/v1/checks/monthly/run', headers: bearer('operator') });
  const after = (await app.inject({ method: 'GET', url: '/api/v1/checks' })).json();
  const site = after.checks.find((c: { suite: string; check: string }) => c.suite === 'monthly' && c.check === 'static-site');
  t.match(site, { registered: true, historyLength: 2, latest: { status: 'pass', reason: '200 OK' } });
  t.same(after.running, []);

  const history = await app.inject({ method: 'GET', url: '/api/v1/checks/monthly/static-site/history?limit=5' });
  t.equal(history.statusCode, 200);
  t.same(history.json().results.map((r: { status: string }) => r.status), ['pass', 'fail'], 'newest first');
  t.same(history.json().results[1].evidence, { url: 'http://site/index.html' }, 'the failure kept with its evidence');
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/checks/monthly/static-site/history?limit=1' })).json().results.length, 1);
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/checks/monthly/nope/history' })).statusCode, 404);

  const readiness = (await app.inject({ method: 'GET', url: '/api/v1/readiness' })).json();
  t.same(readiness.checks.map((c: { suite: string; check: string; status: string }) => [c.suite, c.check, c.status]), [['monthly', 'cosmos', 'pass'], ['monthly', 'static-site', 'pass']], 'the results feed readiness');
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.match(metrics, /^dr_check_success\{suite="monthly",check="static-site"\} 1$/m);
});

t.test('all runs every suite', async (t) => {
  const { app } = await service(t);
  const run = await app.inject({ method: 'POST', url: '/api/v1/checks/all/run', headers: bearer('cto') });
  t.equal(run.statusCode, 200);
  t.same(run.json().suites.map((s: { suite: string; status: string }) => [s.suite, s.status]), [
    ['monthly', 'fail'], ['standby', 'skip'], ['smoke', 'fail'], ['e2e', 'skip'], ['complementary', 'skip'], ['sampling', 'skip'],
  ]);
});
