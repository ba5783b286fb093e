/**
 * Two replicas on one PostgreSQL store, through five minutes of a one-minute schedule (a test
 * clock): every run happens once, on the replica that leads at that minute, and the schedule
 * moves with the leadership when the leader goes.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { Leadership } from '../../src/ha/leadership.js';
import { Scheduler } from '../../src/scheduler/index.js';
import { openPostgresStore } from '../../src/store/index.js';
import { FakeTimers } from '../helpers/fake-timers.js';
import { freshDatabase, postgresMissing } from '../helpers/postgres.js';
import { ManualClock } from '../store/temp-store.js';

t.test('each scheduled run once, on the leader only, across a change of leader', { skip: postgresMissing }, async (t) => {
  const url = await freshDatabase(t);
  const clock = new ManualClock(new Date('2026-12-07T10:00:30Z'));
  const timers = new FakeTimers(clock);
  const runs: Array<{ minute: string; by: string }> = [];

  async function replica(name: string) {
    const { store, lease } = await openPostgresStore({ url, holder: name, leaseSeconds: 3, clock });
    t.teardown(() => store.close());
    let scheduler: Scheduler | undefined;
    const state = { scheduling: false };
    const leadership = new Leadership({
      lease,
      log: () => undefined,
      async lead() {
        scheduler = new Scheduler({ jobs: store.jobs, clock, timers, log: () => undefined });
        scheduler.add({ name: 'probes', schedule: { kind: 'every', minutes: 1 }, run: async () => void runs.push({ minute: clock.now().toISOString().slice(11, 16), by: name }) });
        await scheduler.start();
        state.scheduling = true;
      },
      async follow() {
        state.scheduling = false;
        await scheduler?.stop();
        scheduler = undefined;
      },
    });
    await leadership.start();
    return { role: () => leadership.role(), stop: () => leadership.stop(), scheduling: () => state.scheduling };
  }
  const until = async (what: () => boolean) => {
    for (let i = 0; i < 100 && !what(); i++) await sleep(100);
  };

  const a = await replica('a');
  const b = await replica('b');
  await until(a.scheduling);
  t.same([a.role(), b.role()], ['leader', 'follower'], 'one leads');
  /** Moves the test clock to `minute` and lets its run (which first records its start in the store) happen. */
  const reach = async (minute: string) => {
    await timers.advanceTo(`2026-12-07T${minute}:10Z`);
    await until(() => runs.some((r) => r.minute === minute));
    await sleep(300);
  };
  for (const minute of ['10:01', '10:02']) await reach(minute);

  await a.stop();
  await until(b.scheduling);
  t.same([a.role(), b.role()], ['follower', 'leader'], 'the other leads once the first is gone');
  for (const minute of ['10:03', '10:04', '10:05']) await reach(minute);
  await b.stop();

  t.same(runs.map((r) => r.minute), ['10:01', '10:02', '10:03', '10:04', '10:05'], 'every minute ran once: no gap, no repeat');
  t.same(runs.map((r) => r.by), ['a', 'a', 'b', 'b', 'b'], 'each run on the replica that led then');
});
