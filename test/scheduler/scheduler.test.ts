import t, { type Test } from 'tap';
import { Scheduler, configuredSchedules, type Job } from '../../src/scheduler/index.js';
import { ManualClock, tempStore } from '../store/temp-store.js';
import { FakeTimers, settle } from '../helpers/fake-timers.js';

function setup(t: Test, startIso: string) {
  const clock = new ManualClock(new Date(startIso));
  const { store } = tempStore(t, clock);
  const timers = new FakeTimers(clock);
  const logs: Array<[string, string]> = [];
  const scheduler = new Scheduler({ jobs: store.jobs, clock, timers, log: (level, msg) => logs.push([level, msg]) });
  t.teardown(() => scheduler.stop());
  return { clock, store, timers, logs, scheduler };
}

/** A job that records when it ran, optionally blocking until released. */
function recorder(name: string, schedule: Job['schedule'], clock: ManualClock) {
  const runs: string[] = [];
  let gate: Promise<void> | undefined;
  let release = () => {};
  const job: Job = {
    name,
    schedule,
    run: async (signal) => {
      runs.push(clock.now().toISOString());
      if (gate) await Promise.race([gate, new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }))]);
    },
  };
  return {
    job,
    runs,
    block() {
      gate = new Promise<void>((resolve) => (release = resolve));
    },
    release: () => {
      gate = undefined;
      release();
    },
  };
}

t.test('a daily job runs at each due time and records its start', async (t) => {
  const { clock, store, timers, scheduler } = setup(t, '2026-03-01T00:00:00Z');
  const sync = recorder('sync', { kind: 'daily', at: '03:00' }, clock);
  scheduler.add(sync.job);
  await scheduler.start();
  await timers.advanceTo('2026-03-04T00:00:00Z');
  t.same(sync.runs, ['2026-03-01T03:00:00.000Z', '2026-03-02T03:00:00.000Z', '2026-03-03T03:00:00.000Z']);
  t.same(await store.jobs.lastRun('sync'), new Date('2026-03-03T03:00:00Z'));
});

t.test('a first-Monday job runs once a month, across a year boundary', async (t) => {
  const { clock, timers, scheduler } = setup(t, '2026-11-15T00:00:00Z');
  const monthly = recorder('monthly', { kind: 'first-monday', at: '09:00' }, clock);
  scheduler.add(monthly.job);
  await scheduler.start();
  await timers.advanceTo('2027-02-15T00:00:00Z');
  t.same(monthly.runs, ['2026-12-07T09:00:00.000Z', '2027-01-04T09:00:00.000Z', '2027-02-01T09:00:00.000Z']);
});

t.test('jobs with different schedules interleave in time order', async (t) => {
  const { clock, timers, scheduler } = setup(t, '2026-03-02T02:50:00Z');
  const order: string[] = [];
  scheduler.add({ name: 'probes', schedule: { kind: 'every', minutes: 5 }, run: async () => void order.push(`probes ${clock.now().toISOString().slice(11, 16)}`) });
  scheduler.add({ name: 'sync', schedule: { kind: 'daily', at: '03:02' }, run: async () => void order.push(`sync ${clock.now().toISOString().slice(11, 16)}`) });
  await scheduler.start();
  await timers.advanceTo('2026-03-02T03:06:00Z');
  t.same(order, ['probes 02:55', 'probes 03:00', 'sync 03:02', 'probes 03:05']);
});

t.test('a job never overlaps itself: ticks while it runs are skipped and logged', async (t) => {
  const { clock, timers, logs, scheduler } = setup(t, '2026-03-02T10:00:30Z');
  const probes = recorder('probes', { kind: 'every', minutes: 1 }, clock);
  probes.block();
  scheduler.add(probes.job);
  await scheduler.start();
  await timers.advanceTo('2026-03-02T10:05:30Z');
  t.equal(probes.runs.length, 1, 'one run, still going');
  t.equal(scheduler.running('probes'), true);
  t.equal(logs.filter(([level, msg]) => level === 'warn' && /skipped/.test(msg)).length, 4);
  t.equal(await scheduler.trigger('probes'), 'already-running');
  probes.release();
  await timers.advanceTo('2026-03-02T10:05:45Z');
  t.equal(scheduler.running('probes'), false);
  await timers.advanceTo('2026-03-02T10:06:30Z');
  t.equal(probes.runs.length, 2, 'runs again at the next tick once free');
});

t.test('missed runs are caught up once at start', async (t) => {
  const { clock, store, timers, logs, scheduler } = setup(t, '2026-03-05T10:00:00Z');
  await store.jobs.recordRun('sync', new Date('2026-03-02T03:00:00Z'));
  const sync = recorder('sync', { kind: 'daily', at: '03:00' }, clock);
  scheduler.add(sync.job);
  await scheduler.start();
  await settle();
  await timers.advanceTo('2026-03-05T12:00:00Z');
  t.same(sync.runs, ['2026-03-05T10:00:00.000Z'], 'three missed days, one catch-up run');
  t.match(logs.find(([, msg]) => /catch-up/.test(msg)), ['info', /due at 2026-03-05T03:00:00.000Z/]);
  await timers.advanceTo('2026-03-06T04:00:00Z');
  t.same(sync.runs, ['2026-03-05T10:00:00.000Z', '2026-03-06T03:00:00.000Z'], 'then back on schedule');
});

t.test('no catch-up when nothing was missed, nor on the very first start', async (t) => {
  const { clock, store, timers, scheduler } = setup(t, '2026-03-05T10:00:00Z');
  await store.jobs.recordRun('sync', new Date('2026-03-05T03:00:00Z'));
  const sync = recorder('sync', { kind: 'daily', at: '03:00' }, clock);
  const monthly = recorder('monthly', { kind: 'first-monday', at: '09:00' }, clock);
  scheduler.add(sync.job);
  scheduler.add(monthly.job);
  await scheduler.start();
  await timers.advanceTo('2026-03-05T12:00:00Z');
  t.same(sync.runs, []);
  t.same(monthly.runs, []);
  t.same(await store.jobs.lastRun('monthly'), new Date('2026-03-05T10:00:00Z'), 'the first start is recorded');
});

t.test('a failing job is logged and the scheduler goes on', async (t) => {
  const { timers, logs, scheduler } = setup(t, '2026-03-02T10:00:30Z');
  let calls = 0;
  scheduler.add({
    name: 'flaky',
    schedule: { kind: 'every', minutes: 1 },
    run: (() => {
      calls++;
      if (calls === 1) throw new Error('synchronous boom');
      return calls === 2 ? Promise.reject(new Error('async boom')) : Promise.resolve();
    }) as Job['run'],
  });
  await scheduler.start();
  await timers.advanceTo('2026-03-02T10:03:30Z');
  t.equal(calls, 3);
  t.same(logs.filter(([level]) => level === 'error').map(([, msg]) => msg), ['job flaky failed: synchronous boom', 'job flaky failed: async boom']);
});

t.test('trigger starts a job now; unknown and duplicate names are refused', async (t) => {
  const { clock, store, scheduler } = setup(t, '2026-03-02T10:00:00Z');
  const sync = recorder('sync', { kind: 'daily', at: '03:00' }, clock);
  sync.block();
  scheduler.add(sync.job);
  t.throws(() => scheduler.add(sync.job), { name: 'ConflictError' });
  await t.rejects(scheduler.trigger('nope'), { name: 'NotFoundError' });
  t.equal(await scheduler.trigger('sync'), 'started');
  await settle();
  t.same(sync.runs, ['2026-03-02T10:00:00.000Z']);
  t.same(await store.jobs.lastRun('sync'), new Date('2026-03-02T10:00:00Z'));
  sync.release();
});

t.test('stop aborts running jobs and waits for them', async (t) => {
  const { clock, timers, scheduler } = setup(t, '2026-03-02T10:00:00Z');
  let aborted = false;
  let finished = false;
  scheduler.add({
    name: 'long',
    schedule: { kind: 'every', minutes: 1 },
    run: (signal) =>
      new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => {
          aborted = true;
          setImmediate(() => {
            finished = true;
            resolve();
          });
        }),
      ),
  });
  await scheduler.start();
  await timers.advanceTo('2026-03-02T10:01:00Z');
  t.equal(scheduler.running('long'), true);
  await scheduler.stop();
  t.ok(aborted && finished, 'the job saw the abort and had returned before stop resolved');
  t.equal(timers.count, 0, 'no timer left behind');
  await t.rejects(scheduler.trigger('long'), { name: 'ConflictError' });
  void clock;
});

t.test('configured schedules follow the config', async (t) => {
  const schedules = configuredSchedules({ sync: { dailyAt: '03:00' }, checks: { monthlyAt: '09:00', probeEveryMinutes: 5 } } as Parameters<typeof configuredSchedules>[0]);
  t.same(schedules, {
    sync: { kind: 'daily', at: '03:00' },
    alerts: { kind: 'daily', at: '00:10' },
    monthly: { kind: 'first-monday', at: '09:00' },
    probes: { kind: 'every', minutes: 5 },
  });
});
