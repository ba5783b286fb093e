import t from 'tap';
import { appLogsCheck } from '../../probes/app-logs.js';
import { buildAppLogs } from '../../src/adapters/azure/monitor.js';
import { runCheck } from '../../src/core/result.js';
import { monitorAlone } from '../helpers/azure-twin.js';

const { config, env, state, faults } = await monitorAlone(t);
const logs = buildAppLogs(config, env);
const check = () => runCheck(appLogsCheck(logs, { since: 15, maxErrorRatio: 0.05 }), { now: () => new Date() }, 30_000);
const serve = (status: number, times: number) => {
  for (let i = 0; i < times; i++) state.recordRequest({ at: new Date(), method: 'GET', path: `/api/images/${i}`, status, durationMs: 5 });
};
const forget = () => state.requests.splice(0);

t.test('no request in the window fails: the telemetry is not arriving', async (t) => {
  forget();
  const result = await check();
  t.equal(result.status, 'fail');
  t.equal(result.reason, 'Azure Monitor logged no HTTP request in the last 15 minutes: the application\'s telemetry is not arriving');
  t.same(result.evidence.byStatus, {});
});

t.test('mostly 200 passes, with the counts by status as evidence', async (t) => {
  serve(200, 39);
  serve(404, 1);
  const result = await check();
  t.equal(result.status, 'pass', result.reason);
  t.equal(result.reason, 'Azure Monitor logged 40 requests in the last 15 minutes: 39 answered 200, 1 (2.5 %) answered 4xx/5xx');
  t.same(result.evidence, { windowMinutes: 15, byStatus: { '200': 39, '404': 1 } });
  t.same(result.measurements, { requests: 40, errors: 1, errorRatio: 0.025 });
});

t.test('many 500s fail the check; a window of healthy traffic repairs it', async (t) => {
  serve(500, 10);
  const broken = await check();
  t.equal(broken.status, 'fail');
  t.equal(broken.reason, '11 of 50 requests in the last 15 minutes answered 4xx/5xx (22 %), more than the 5 % allowed');
  t.same(broken.evidence.byStatus, { '200': 39, '404': 1, '500': 10 });

  forget();
  serve(200, 20);
  t.equal((await check()).status, 'pass');
});

t.test('requests that are mostly not 200 fail even without errors', async (t) => {
  forget();
  serve(200, 2);
  serve(302, 8);
  const result = await check();
  t.equal(result.status, 'fail');
  t.equal(result.reason, 'only 2 of 10 requests in the last 15 minutes answered 200 (the others: 8 × 302); R12 expects mostly 200');
});

t.test('a Monitor that refuses to answer fails with the reason', async (t) => {
  faults.set('monitor', { status: 503, retryAfterSeconds: 0 });
  t.teardown(() => faults.set('monitor', undefined));
  const result = await check();
  t.equal(result.status, 'fail');
  t.match(result.reason, /^the application logs could not be queried: /);
});
