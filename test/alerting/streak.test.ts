/**
 * The R4 rules on recorded runs, without a lab: what a failed day is, one alert per streak
 * (also across restarts and with a channel that fails for a while), a new streak after a
 * recovery, and error texts scrubbed of credentials.
 */
import t from 'tap';
import { SyncAlerts } from '../../src/alerting/sync-alerts.js';
import { failedStreak, previousUtcDay } from '../../src/alerting/streak.js';
import { scrub } from '../../src/alerting/messages.js';
import type { Message, Notifier } from '../../src/core/ports.js';
import { openStore } from '../../src/store/index.js';
import type { SyncFlow } from '../../src/store/types.js';
import { tempStore } from '../store/temp-store.js';

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

t.test('a failed day has runs and no success; days without runs do not break a streak', async (t) => {
  t.same(failedStreak([]), undefined);
  t.same(failedStreak([{ day: '2026-03-03', succeeded: 1, failed: 4 }, { day: '2026-03-02', succeeded: 0, failed: 1 }]), undefined, 'a success makes the day good');
  t.same(failedStreak([
    { day: '2026-03-05', succeeded: 0, failed: 2 },
    { day: '2026-03-03', succeeded: 0, failed: 1 },
    { day: '2026-03-01', succeeded: 1, failed: 0 },
  ]), { start: '2026-03-03', days: ['2026-03-03', '2026-03-05'] });
  t.equal(previousUtcDay(new Date('2026-03-01T00:30:00Z')), '2026-02-28');
});

t.test('one alert per streak, retried on a failed channel, a recovery, then a new streak', async (t) => {
  const { store, file, clock } = tempStore(t);
  const email = new RecordingNotifier('email');
  const webhook = new RecordingNotifier('webhook');
  let current = store;
  const alerts = () => new SyncAlerts({ store: current, notifiers: [email, webhook], clock, log: () => {} });
  const record = async (flow: SyncFlow, status: 'failed' | 'succeeded', error = 'AuthenticationFailed: the key https://acct.blob.core.windows.net/c?sv=1&sig=SECRET was refused') => {
    const run = current.syncs.start(flow, false);
    current.syncs.finish(run.id, status, status === 'failed' ? { failureClass: 'auth', error } : {});
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
  current.close();
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
  t.same(current.alerts.list(10, 'site').map((a) => [a.streakStart, Boolean(a.recoveredAt)]), [['2026-03-05', false], ['2026-03-02', true]]);
});

t.test('scrub removes query strings, keys, tokens and passwords from error texts', async (t) => {
  t.equal(scrub('GET https://a.blob.core.windows.net/up/x.jpg?sv=2024&sig=abc%2F failed'), 'GET https://a.blob.core.windows.net/up/x.jpg?[redacted] failed');
  t.equal(scrub('DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k3y==;'), 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=[redacted];');
  t.equal(scrub('sent Authorization: Bearer eyJ.abc.def'), 'sent Authorization: Bearer [redacted]');
  t.equal(scrub('smtp://user:hunter2@mail.example.test:587'), 'smtp://user:[redacted]@mail.example.test:587');
  t.equal(scrub('x'.repeat(600)).length, 501, 'long texts are cut');
});
