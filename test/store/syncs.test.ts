import t from 'tap';
import { tempStore } from './temp-store.js';

t.test('a run from start to finish', async (t) => {
  const { store, clock } = tempStore(t);
  const run = store.syncs.start('uploads', false);
  t.match(run, { flow: 'uploads', reverse: false, status: 'running', startedAt: clock.now().toISOString(), summary: {} });
  t.match(run.id, /^[0-9a-f-]{36}$/);
  store.syncs.update(run.id, { copied: 3 });
  t.same(store.syncs.get(run.id)?.summary, { copied: 3 });
  clock.advance(60_000);
  store.syncs.finish(run.id, 'succeeded', { copied: 5 }, '2026-03-02T02:59:00.000Z');
  t.same(store.syncs.get(run.id), {
    ...run,
    status: 'succeeded',
    finishedAt: clock.now().toISOString(),
    summary: { copied: 5 },
    verifiedThrough: '2026-03-02T02:59:00.000Z',
  });
  t.equal(store.syncs.get('nope'), undefined);
  t.throws(() => store.syncs.update('nope', {}), { name: 'NotFoundError' });
  t.throws(() => store.syncs.finish('nope', 'failed', {}), { name: 'NotFoundError' });
});

t.test('list, last success and consecutive failures count forward runs of the flow only', async (t) => {
  const { store } = tempStore(t);
  const finished = (flow: 'site' | 'uploads', reverse: boolean, status: 'succeeded' | 'failed') => {
    const run = store.syncs.start(flow, reverse);
    store.syncs.finish(run.id, status, {});
    return run.id;
  };
  t.equal(store.syncs.consecutiveFailures('site'), 0);
  t.equal(store.syncs.lastSuccess('site'), undefined);
  finished('site', false, 'failed');
  t.equal(store.syncs.consecutiveFailures('site'), 1, 'failures before any success count');
  const ok = finished('site', false, 'succeeded');
  finished('site', false, 'failed');
  finished('uploads', false, 'failed');
  finished('site', true, 'failed');
  finished('site', true, 'succeeded');
  finished('site', false, 'failed');
  t.equal(store.syncs.consecutiveFailures('site'), 2);
  t.equal(store.syncs.consecutiveFailures('uploads'), 1);
  t.equal(store.syncs.lastSuccess('site')?.id, ok, 'a reverse success is not a forward success');
  t.equal(store.syncs.list(100).length, 7);
  t.equal(store.syncs.list(100, 'uploads').length, 1);
  t.same(store.syncs.list(2).map((r) => r.reverse), [false, true], 'newest first');
  finished('site', false, 'succeeded');
  t.equal(store.syncs.consecutiveFailures('site'), 0);
});

t.test('runs left running by a crash are marked interrupted', async (t) => {
  const { store } = tempStore(t);
  const done = store.syncs.start('site', false);
  store.syncs.finish(done.id, 'succeeded', {});
  const a = store.syncs.start('site', false);
  const b = store.syncs.start('metadata', true);
  t.equal(store.syncs.markInterrupted(), 2);
  t.equal(store.syncs.get(a.id)?.status, 'interrupted');
  t.equal(store.syncs.get(b.id)?.status, 'interrupted');
  t.ok(store.syncs.get(b.id)?.finishedAt);
  t.equal(store.syncs.get(done.id)?.status, 'succeeded');
  t.equal(store.syncs.markInterrupted(), 0);
});
