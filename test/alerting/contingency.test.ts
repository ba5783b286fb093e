/**
 * R4 and the contingency: during a failover the forward syncs are held on purpose, so a UTC day
 * during which a contingency was open is neither good nor failed. A failover of any length
 * raises no alert and sends CloudWatch no failed day; the days after it count again, and a
 * streak begun before it goes on after it. A fake clock, no lab.
 */
import t from 'tap';
import { SyncAlerts } from '../../src/alerting/sync-alerts.js';
import { dayFailed, failedStreak } from '../../src/alerting/streak.js';
import type { Message, MetricAlarmSpec, MetricSink, Notifier } from '../../src/core/ports.js';
import type { SyncFlow } from '../../src/core/flows.js';
import { ManualClock, tempStore } from '../store/temp-store.js';

class RecordingNotifier implements Notifier {
  readonly channel = 'email';
  readonly sent: Message[] = [];
  async send(message: Message): Promise<void> {
    this.sent.push(message);
  }
}

/** CloudWatch as the daily publication sees it: the datapoints it was given. */
class RecordingSink implements MetricSink {
  readonly points: string[] = [];
  async put(_namespace: string, _metric: string, value: number, dimensions: Record<string, string>, at: Date): Promise<void> {
    this.points.push(`${dimensions.Flow} ${at.toISOString().slice(0, 10)} ${value}`);
  }
  async ensureAlarm(_spec: MetricAlarmSpec): Promise<'unchanged'> {
    return 'unchanged';
  }
}

t.test('a day a contingency was open at any time is passed over; one success still makes it good', async (t) => {
  const at = (iso: string) => new Date(iso);
  const held = [{ since: '2026-03-03T10:00:00.000Z', endedAt: '2026-03-05T15:00:00.000Z' }];
  const history = { firstDay: '2026-03-01', days: [{ day: '2026-03-01', succeeded: 1, failed: 0 }], held };
  t.same(failedStreak(history, at('2026-03-05T20:00:00Z')), { start: '2026-03-02', days: ['2026-03-02'] }, 'the day before it failed; the three days it touched are not counted');
  t.equal(dayFailed(history, '2026-03-03'), undefined, 'the day it began');
  t.equal(dayFailed(history, '2026-03-05'), undefined, 'the day it ended');
  t.equal(dayFailed(history, '2026-03-06'), true, 'the day after it ended counts again');
  t.equal(dayFailed({ ...history, days: [{ day: '2026-03-04', succeeded: 1, failed: 0 }] }, '2026-03-04'), false, 'a success inside it makes the day good');
  t.same(
    failedStreak(history, at('2026-03-07T01:00:00Z')),
    { start: '2026-03-02', days: ['2026-03-02', '2026-03-06'] },
    'a streak begun before it goes on after it: the standby has been behind since',
  );
  t.same(failedStreak({ ...history, held: [{ since: '2026-03-02T00:00:00.000Z' }] }, at('2026-03-09T12:00:00Z')), undefined, 'an open one holds every day up to today');
  t.equal(dayFailed({ ...history, held: [{ since: '2026-03-01T10:00:00.000Z', endedAt: '2026-03-02T00:00:00.000Z' }] }, '2026-03-02'), true, 'ended at midnight: the next day is not touched');
});

t.test('a failover of four days raises no alert and publishes no failed day; the days after the cutback count again', async (t) => {
  const { store, clock } = tempStore(t, new ManualClock(new Date('2026-03-02T03:00:00Z')));
  const email = new RecordingNotifier();
  const sink = new RecordingSink();
  const alerts = new SyncAlerts({ store, notifiers: [email], metricSink: sink, clock, log: () => {} });
  const run = async (flow: SyncFlow, status: 'succeeded' | 'failed') => {
    const record = await store.syncs.start(flow, false);
    await store.syncs.finish(record.id, status, status === 'failed' ? { failureClass: 'network', error: 'the standby did not answer' } : {});
    await alerts.afterRun(flow);
  };
  const daily = async (day: string) => {
    clock.current = new Date(`${day}T00:10:00Z`);
    await alerts.publishDaily();
  };
  const sent = () => email.sent.map((m) => `${m.kind}:${(m.data as { flow: string }).flow}:${(m.data as { days?: string[] }).days?.join(',')}`);

  for (const flow of ['site', 'uploads', 'metadata'] as const) await run(flow, 'succeeded');
  clock.current = new Date('2026-03-02T10:00:00Z');
  await store.contingencies.begin('activation-1', 'activation');
  // The activation's own final sync, the one forward run allowed inside it, fails: still no failed day.
  await run('uploads', 'failed');
  for (const day of ['2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06']) await daily(day);
  t.same(sent(), [], 'four days in contingency: no alert');
  t.same(sink.points, ['site 2026-03-02 0', 'uploads 2026-03-02 0', 'metadata 2026-03-02 0'], 'the day it began had a success for every flow: good; no datapoint for the days inside it');

  clock.current = new Date('2026-03-06T14:00:00Z');
  await store.contingencies.end('the DNS cutback of run rollback-1');
  await daily('2026-03-07');
  t.same(sent(), [], 'the day of the cutback is held too');
  t.equal(sink.points.length, 3, 'and publishes nothing');
  clock.current = new Date('2026-03-07T03:00:00Z');
  await run('site', 'failed');
  for (const flow of ['uploads', 'metadata'] as const) await run(flow, 'succeeded');
  await daily('2026-03-08');
  t.same(sent(), [], 'one failed day after the cutback: no alert');
  t.ok(sink.points.includes('site 2026-03-07 1'), 'the day after the cutback is published failed');
  clock.current = new Date('2026-03-08T03:00:00Z');
  await run('site', 'failed');
  t.same(sent(), ['sync-failure:site:2026-03-07,2026-03-08'], 'the second failed day after the cutback alerts, counting none of the contingency');
});
