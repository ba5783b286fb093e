import t, { type Test } from 'tap';
import { CheckRunner, checkJobs, type CheckRunnerOptions } from '../../src/checks/runner.js';
import { checkDeps, requireSection, type CheckEntry } from '../../src/checks/suites.js';
import { adapterFactory } from '../../src/adapters/index.js';
import { buildControlPlane } from '../../src/adapters/control.js';
import { fail, pass, type Check, type Outcome } from '../../src/core/result.js';
import { createMetrics } from '../../src/metrics/index.js';
import { testConfig } from '../service/harness.js';
import { ManualClock, tempStore } from '../store/temp-store.js';


function entry(id: string, run: Check['run'], suites: CheckEntry['suites'] = ['smoke']): CheckEntry {
  return { id, title: `the ${id} check`, suites, build: () => ({ id, title: `the ${id} check`, run }) };
}

function runner(t: Test, checks: CheckEntry[], over: Partial<CheckRunnerOptions> = {}) {
  const config = testConfig();
  config.checks.timeoutSeconds = 1;
  config.checks.historySize = 2;
  const clock = new ManualClock(new Date());
  const { store } = tempStore(t, clock);
  const metrics = createMetrics();
  const r = new CheckRunner({ config, store, metrics, clock, deps: checkDeps(config, adapterFactory(config, {}), buildControlPlane(config, {})), checks, ...over });
  t.teardown(() => r.close());
  return { runner: r, store, metrics, config, clock };
}

const metricLine = async (metrics: ReturnType<typeof createMetrics>, name: string) =>
  (await metrics.text()).split('\n').filter((l) => l.startsWith(name));

t.test('the checks of a suite run side by side, no more than the bound at once', async (t) => {
  let inFlight = 0;
  let most = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const waiting = async (): Promise<Outcome> => {
    inFlight++;
    most = Math.max(most, inFlight);
    if (inFlight === 2) release();
    await gate;
    inFlight--;
    return pass('ok');
  };
  const { runner: r } = runner(t, ['a', 'b', 'c', 'd'].map((id) => entry(id, waiting)), { concurrency: 2 });
  const summary = await r.run('smoke');
  t.equal(most, 2, 'two checks were waiting on each other at once, never more');
  t.equal(summary.status, 'pass');
  t.same(summary.results.map((x) => x.check), ['a', 'b', 'c', 'd']);
});

t.test('a check that outlives the timeout fails saying so; a throwing check fails with its error', async (t) => {
  const hang: Check['run'] = (ctx) => new Promise<Outcome>((resolve) => ctx.signal.addEventListener('abort', () => resolve(pass('too late'))));
  const { runner: r } = runner(t, [
    entry('hangs', hang),
    entry('throws', async () => {
      throw new Error('socket hang up');
    }),
    entry('passes', async () => pass('fine')),
  ]);
  const summary = await r.run('smoke');
  const by = Object.fromEntries(summary.results.map((x) => [x.check, x.result]));
  t.equal(by.hangs!.status, 'fail');
  t.match(by.hangs!.reason, /timed out after 1000 ms/);
  t.equal(by.throws!.status, 'fail');
  t.match(by.throws!.reason, 'socket hang up');
  t.equal(by.passes!.status, 'pass');
  t.equal(summary.status, 'fail');
});

t.test('a check whose config section is missing fails naming it', async (t) => {
  const needsVault: CheckEntry = {
    id: 'certificate',
    title: 'the certificate',
    suites: ['monthly'],
    build: (deps) => {
      const vault = requireSection(deps.config.azure.keyVault, 'azure.keyVault', 'the certificate check');
      return { id: 'certificate', title: vault.certificate, run: async () => pass('never') };
    },
  };
  const { runner: r, store } = runner(t, [needsVault]);
  const summary = await r.run('monthly');
  t.equal(summary.results[0]!.result.status, 'fail');
  t.equal(summary.results[0]!.result.reason, 'certificate cannot run: the certificate check needs azure.keyVault in the config, which is missing');
  t.equal((await store.checks.latest())[0]!.result.status, 'fail', 'stored like any result');
});

t.test('history keeps the newest results per check and every failure', async (t) => {
  const outcomes = [fail('first failure', { seen: 'x' }), pass('1'), pass('2'), pass('3'), pass('4')];
  const { runner: r, store } = runner(t, [entry('flaky', async () => outcomes.shift()!)]);
  for (let i = 0; i < 5; i++) await r.run('smoke');
  const history = await store.checks.history('smoke', 'flaky', 100);
  t.same(history.map((h) => h.result.reason), ['4', '3', 'first failure'], 'historySize 2, and the failure kept');
  t.same(history[2]!.result.evidence, { seen: 'x' }, 'with its evidence');
});

t.test('results are projected to the metrics, and readiness recomputed', async (t) => {
  const expiresAt = Date.parse('2027-01-01T00:00:00Z') / 1000;
  const { runner: r, metrics } = runner(t, [
    entry('certificate', async () => pass('valid', { certificate: 'wildcard-example-com' }, { expiresAt, daysLeft: 33 }), ['complementary']),
    entry('dns-standby', async () => fail('one disagrees', { name: 'dr.example.test' }, { agreeing: 2, resolvers: 3 }), ['complementary']),
  ]);
  await r.run('complementary');
  t.same(await metricLine(metrics, 'dr_check_success{'), ['dr_check_success{suite="complementary",check="certificate"} 1', 'dr_check_success{suite="complementary",check="dns-standby"} 0']);
  t.equal((await metricLine(metrics, 'dr_check_last_run_timestamp_seconds{')).length, 2);
  t.equal((await metricLine(metrics, 'dr_check_duration_seconds{')).length, 2);
  t.same(await metricLine(metrics, 'dr_tls_certificate_expiry_timestamp_seconds{'), [`dr_tls_certificate_expiry_timestamp_seconds{certificate="wildcard-example-com"} ${expiresAt}`]);
  t.same(await metricLine(metrics, 'dr_dns_resolvers_agreeing{'), ['dr_dns_resolvers_agreeing{name="dr.example.test"} 2']);
  t.same(await metricLine(metrics, 'dr_readiness '), ['dr_readiness 0']);
  t.same(await metricLine(metrics, 'dr_readiness_score '), ['dr_readiness_score 0.5']);
});

t.test('a second request for a running suite joins the run', async (t) => {
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { runner: r } = runner(t, [entry('slow', async () => (runs++, await gate, pass('done')))]);
  const first = r.run('smoke');
  const second = r.run('smoke');
  t.ok(r.isRunning('smoke'));
  release();
  const [a, b] = await Promise.all([first, second]);
  t.equal(a, b, 'the same summary');
  t.equal(runs, 1, 'the check ran once');
  t.notOk(r.isRunning('smoke'));
});

t.test('a suite without checks is skipped; all runs every suite', async (t) => {
  const { runner: r } = runner(t, [entry('only', async () => pass('ok'), ['smoke'])]);
  const e2e = await r.run('e2e');
  t.equal(e2e.status, 'skip');
  t.same(e2e.results, []);
  const all = await r.runMany('all');
  t.same(all.map((s) => [s.suite, s.status]), [['monthly', 'skip'], ['standby', 'skip'], ['smoke', 'pass'], ['e2e', 'skip'], ['complementary', 'skip'], ['sampling', 'skip']]);
});

t.test('the scheduled jobs: standby probes every N minutes, monthly on the first Monday', async (t) => {
  const { runner: r, config } = runner(t, []);
  t.same(checkJobs(r, config).map((j) => [j.name, j.schedule]), [
    ['checks:standby', { kind: 'every', minutes: config.checks.probeEveryMinutes }],
    ['checks:monthly', { kind: 'first-monday', at: config.checks.monthlyAt }],
  ]);
});

t.test('an unrecorded run (a dry-run\'s look) answers like any run but leaves history and metrics as they were', async (t) => {
  const { runner: r, store, metrics } = runner(t, [entry('gateway', async () => fail('no backend server'))]);
  const summary = await r.run('smoke', undefined, { record: false });
  t.equal(summary.status, 'fail');
  t.match(summary.results[0]!.result.reason, 'no backend server');
  t.same(await store.checks.latest(), [], 'nothing stored: the readiness does not see it');
  t.same(await metricLine(metrics, 'dr_check_success{'), [], 'no metric moved');
  await r.run('smoke');
  t.equal((await store.checks.latest()).length, 1, 'a recorded run of the same suite is stored as ever');
});

t.test('an unrecorded look joins a recorded run of the suite going on; a recorded run never joins an unrecorded one', async (t) => {
  let runs = 0;
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const { runner: r, store } = runner(t, [entry('slow', async () => {
    runs++;
    await held;
    return pass('ok');
  })]);
  const recorded = r.run('smoke');
  const look = r.run('smoke', undefined, { record: false });
  release();
  await Promise.all([recorded, look]);
  t.equal(runs, 1, 'the standby was probed once');
  t.equal((await store.checks.latest()).length, 1);

  const onlyLook = r.run('smoke', undefined, { record: false });
  const mustRecord = r.run('smoke');
  await Promise.all([onlyLook, mustRecord]);
  t.equal(runs, 3, 'the recorded run ran on its own');
  t.equal((await store.checks.history('smoke', 'slow', 10)).length, 2, 'and was recorded');
});
