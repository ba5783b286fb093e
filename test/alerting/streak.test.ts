/**
 * The R4 rules on recorded runs, without a lab: what a failed day is (a run that failed,
 * hung or never started), one alert per streak (also across restarts and with a channel that
 * fails for a while), a new streak after a recovery, and error texts scrubbed of credentials.
 */
import t from 'tap';
import { SyncAlerts } from '../../src/alerting/sync-alerts.js';
import { dayFailed, failedStreak, previousUtcDay } from '../../src/alerting/streak.js';
import { scrub } from '../../src/alerting/messages.js';
import type { Message, Notifier } from '../../src/core/ports.js';
import { openStore } from '../../src/store/index.js';
import type { SyncDay } from '../../src/store/types.js';
import type { SyncFlow } from '../../src/core/flows.js';
import { ManualClock, tempStore } from '../store/temp-store.js';

const DAY_MS = 86_400_000;

/** A channel that keeps what it was given, and can be made to refuse. */
class RecordingNotifier implements Notifier {
  readonly sent: Message[] = [];
  down = false;
  constructor(readonly channel: string) {}
  async send(message: Message): Promise<void> {
    if (this.down) throw new Error(`${this.channel} is down`);
    this.sent.push(message);
  }
}

t.test('a failed day is a day without a success, from the first day on', async (t) => {
  const history = (firstDay: string, ...days: SyncDay[]) => ({ firstDay, days });
  const at = (iso: string) => new Date(iso);
  t.same(failedStreak(history('2026-03-06'), at('2026-03-06T12:00:00Z')), undefined, 'nothing before the first day');
  t.same(failedStreak(history('2026-03-01', { day: '2026-03-03', succeeded: 1, failed: 4 }), at('2026-03-04T01:00:00Z')), undefined, 'a success makes the day good');
  t.same(
    failedStreak(history('2026-03-01', { day: '2026-03-05', succeeded: 0, failed: 2 }, { day: '2026-03-02', succeeded: 1, failed: 0 }), at('2026-03-05T04:00:00Z')),
    { start: '2026-03-03', days: ['2026-03-03', '2026-03-04', '2026-03-05'] },
    'days without a finished run fail too; today counts once a run failed on it',
  );
  t.same(
    failedStreak(history('2026-03-01', { day: '2026-03-02', succeeded: 1, failed: 0 }), at('2026-03-05T01:00:00Z')),
    { start: '2026-03-03', days: ['2026-03-03', '2026-03-04'] },
    'today, whose run has not come yet, is not counted',
  );
  t.same(failedStreak(history('2026-03-01', { day: '2026-03-05', succeeded: 1, failed: 1 }), at('2026-03-05T04:00:00Z')), undefined, "today's success ends the streak at once");
  t.same(failedStreak(history('2026-03-04'), at('2026-03-06T00:10:00Z')), { start: '2026-03-04', days: ['2026-03-04', '2026-03-05'] }, 'counted from the first day');
  t.equal(dayFailed(history('2026-03-04'), '2026-03-03'), undefined, 'before the first day: nothing was due');
  t.equal(previousUtcDay(new Date('2026-03-01T00:30:00Z')), '2026-02-28');
});

t.test('one alert per streak, retried on a failed channel, a recovery, then a new streak', async (t) => {
  const { store, file, clock } = tempStore(t);
  const email = new RecordingNotifier('email');
  const webhook = new RecordingNotifier('webhook');
  let current = store;
  const alerts = () => new SyncAlerts({ store: current, notifiers: [email, webhook], clock, log: () => {} });
  const record = async (flow: SyncFlow, status: 'failed' | 'succeeded', error = 'AuthenticationFailed: the key https://acct.blob.core.windows.net/c?sv=1&sig=SECRET was refused') => {
    const run = await current.syncs.start(flow, false);
    await current.syncs.finish(run.id, status, status === 'failed' ? { failureClass: 'auth', error } : {});
    await alerts().afterRun(flow);
  };
  const kinds = (n: RecordingNotifier) => n.sent.map((m) => `${m.kind}:${(m.data as { flow: string }).flow}`);

  await record('site', 'failed');
  clock.advance(DAY_MS);
  webhook.down = true;
  await record('site', 'failed');
  await record('metadata', 'failed');
  t.same(kinds(email), ['sync-failure:site'], 'the second failed day of site alerts; one day of metadata does not');
  t.match(email.sent[0], { subject: /site sync failed 2 days in a row \(auth\)/, data: { failureClass: 'auth', days: ['2026-03-02', '2026-03-03'] } });
  t.notOk(JSON.stringify(email.sent).includes('SECRET'), 'the SAS signature is scrubbed');
  t.same(kinds(webhook), [], 'the webhook was down');

  // A restart (a new store handle and a new SyncAlerts) with the webhook back.
  await current.close();
  current = openStore(file, { clock });
  t.teardown(() => current.close());
  webhook.down = false;
  clock.advance(DAY_MS);
  await record('site', 'failed');
  t.same(kinds(email), ['sync-failure:site'], 'the third failed day: no new e-mail');
  t.same(kinds(webhook), ['sync-failure:site'], 'the webhook gets the alert it missed, once');

  await record('site', 'succeeded');
  await record('site', 'succeeded');
  t.same(kinds(email), ['sync-failure:site', 'sync-recovery:site'], 'one recovery');
  t.same(kinds(webhook), ['sync-failure:site', 'sync-recovery:site']);

  clock.advance(DAY_MS);
  await record('site', 'failed');
  clock.advance(DAY_MS);
  await record('site', 'failed');
  t.same(kinds(email), ['sync-failure:site', 'sync-recovery:site', 'sync-failure:site'], 'a new streak, a new alert');
  t.same((await current.alerts.list(10, 'site')).map((a) => [a.streakStart, Boolean(a.recoveredAt)]), [['2026-03-05', false], ['2026-03-02', true]]);
});

t.test('days whose run never started or hung: one alert on the second such day, from the daily evaluation', async (t) => {
  const { store, clock } = tempStore(t);
  const email = new RecordingNotifier('email');
  const alerts = new SyncAlerts({ store, notifiers: [email], clock, log: () => {} });
  const succeed = async (flow: SyncFlow) => {
    const run = await store.syncs.start(flow, false);
    await store.syncs.finish(run.id, 'succeeded', {});
    await alerts.afterRun(flow);
  };
  /** The scheduler's 'alerts:daily' job, just after midnight UTC. */
  const daily = async (day: string) => {
    clock.current = new Date(`${day}T00:10:00Z`);
    await alerts.publishDaily();
  };
  const sent = () => email.sent.map((m) => `${m.kind}:${(m.data as { flow: string }).flow}`);

  // 03-02: every flow passes. From 03-03 on, site never starts; uploads starts and hangs; metadata passes daily.
  for (const flow of ['site', 'uploads', 'metadata'] as const) await succeed(flow);
  await daily('2026-03-03');
  clock.current = new Date('2026-03-03T03:00:00Z');
  const hung = await store.syncs.start('uploads', false);
  await succeed('metadata');
  await daily('2026-03-04');
  t.same(sent(), [], 'one failed day: no alert');
  clock.current = new Date('2026-03-04T03:00:00Z');
  await succeed('metadata');
  await daily('2026-03-05');
  t.same(sent(), ['sync-failure:site', 'sync-failure:uploads'], 'the second day without a success: one alert per flow');
  t.match(email.sent[0], { subject: /site sync failed 2 days in a row \(other\)/, data: { days: ['2026-03-03', '2026-03-04'], lastError: 'no forward run started on 2026-03-03, 2026-03-04' } });
  t.match(email.sent[1], { subject: /uploads sync failed 2 days in a row \(timeout\)/, data: { lastError: new RegExp(`run ${hung.id}, started 2026-03-03T03:00:00.000Z, has not finished`) } });

  clock.current = new Date('2026-03-05T03:00:00Z');
  await succeed('metadata');
  await daily('2026-03-06');
  await daily('2026-03-06');
  t.same(sent(), ['sync-failure:site', 'sync-failure:uploads'], 'a third such day, evaluated twice: no new alert');

  clock.current = new Date('2026-03-06T03:00:00Z');
  await succeed('site');
  await store.syncs.finish(hung.id, 'failed', { failureClass: 'timeout', error: 'the run passed its deadline' });
  await alerts.afterRun('uploads');
  t.same(sent(), ['sync-failure:site', 'sync-failure:uploads', 'sync-recovery:site'], 'a success recovers site; the hung run, ended failed, keeps the uploads streak');
  t.same((await store.alerts.list(10)).map((a) => [a.flow, a.streakStart, Boolean(a.recoveredAt)]), [['uploads', '2026-03-03', false], ['site', '2026-03-03', true]]);
});

t.test('a fresh install does not alert; two whole days without any run do', async (t) => {
  const { store, clock } = tempStore(t, new ManualClock(new Date('2026-03-02T15:00:00Z')));
  const email = new RecordingNotifier('email');
  const service = new SyncAlerts({ store, notifiers: [email], clock, log: () => {} });
  const published = await service.publishDaily();
  t.same(published.values, {}, 'no metric sink: nothing sent');
  clock.current = new Date('2026-03-03T00:10:00Z');
  await service.publishDaily();
  clock.current = new Date('2026-03-04T00:10:00Z');
  await service.publishDaily();
  t.same(email.sent, [], 'the day the service started is not judged, and one whole day is no streak');
  clock.current = new Date('2026-03-05T00:10:00Z');
  await service.publishDaily();
  t.same(email.sent.map((m) => m.subject), [
    '[drsentinel] site sync failed 2 days in a row (other)',
    '[drsentinel] uploads sync failed 2 days in a row (other)',
    '[drsentinel] metadata sync failed 2 days in a row (other)',
  ], 'the scheduled sync never ran on 03-03 and 03-04: alerted');
});

t.test('scrub removes query strings, keys, tokens and passwords from error texts', async (t) => {
  t.equal(scrub('GET https://a.blob.core.windows.net/up/x.jpg?sv=2024&sig=abc%2F failed'), 'GET https://a.blob.core.windows.net/up/x.jpg?[redacted] failed');
  t.equal(scrub('DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k3y==;'), 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=[redacted];');
  t.equal(scrub('sent Authorization: Bearer eyJ.abc.def'), 'sent Authorization: Bearer [redacted]');
  t.equal(scrub('smtp://user:hunter2@mail.example.test:587'), 'smtp://user:[redacted]@mail.example.test:587');
  t.equal(scrub('x'.repeat(600)).length, 501, 'long texts are cut');
});
