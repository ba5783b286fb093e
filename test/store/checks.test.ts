import t from 'tap';
import type { Result, Status } from '../../src/core/result.js';
import { tempStore } from './temp-store.js';

let n = 0;
const result = (status: Status): Result => ({
  status,
  reason: `run ${++n}`,
  evidence: { n },
  measurements: { n },
  startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  durationMs: 5,
});

t.test('latest and history', async (t) => {
  const { store } = tempStore(t);
  const a1 = result('pass');
  const a2 = result('fail');
  const b1 = result('warn');
  store.checks.record('monthly', 'a', a1);
  store.checks.record('probes', 'b', b1);
  store.checks.record('monthly', 'a', a2);
  t.same(store.checks.latest(), [
    { suite: 'monthly', check: 'a', result: a2 },
    { suite: 'probes', check: 'b', result: b1 },
  ]);
  t.same(store.checks.history('monthly', 'a', 10).map((r) => r.result), [a2, a1], 'newest first');
  t.same(store.checks.history('monthly', 'a', 1).map((r) => r.result), [a2]);
  t.same(store.checks.history('monthly', 'zzz', 10), []);
});

t.test('prune keeps the newest per check and every failure', async (t) => {
  const { store } = tempStore(t);
  const statuses: Status[] = ['fail', 'pass', 'pass', 'fail', 'pass', 'warn', 'pass'];
  const a = statuses.map((s) => result(s));
  for (const r of a) store.checks.record('s', 'a', r);
  const b = [result('pass'), result('pass')];
  for (const r of b) store.checks.record('s', 'b', r);
  store.checks.prune(2);
  t.same(
    store.checks.history('s', 'a', 100).map((r) => r.result.reason),
    [a[6], a[5], a[3], a[0]].map((r) => r!.reason),
    'the two newest, then the older failures',
  );
  t.equal(store.checks.history('s', 'b', 100).length, 2, 'a check with few results loses none');
});
