/**
 * R4 end to end on the lab twin: real uploads syncs failing under a Blob fault on a clock the
 * test moves a day at a time, alerting through the real notifiers (SMTP sink, webhook
 * receiver) and publishing to the CloudWatch twin, all built from the lab's drsentinel.yaml.
 */
import t from 'tap';
import { join } from 'node:path';
import { CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { buildAdapters } from '../../src/adapters/index.js';
import { awsClientConfig } from '../../src/adapters/aws/client-config.js';
import { buildMetricSink } from '../../src/adapters/aws/cloudwatch.js';
import { buildNotifications } from '../../src/adapters/notifications.js';
import { SyncAlerts } from '../../src/alerting/sync-alerts.js';
import { loadConfig } from '../../src/config/load.js';
import { createMetrics } from '../../src/metrics/index.js';
import { openStore } from '../../src/store/index.js';
import type { SyncFlow } from '../../src/core/flows.js';
import { SyncService } from '../../src/sync/service.js';
import { withLab } from '../helpers/lab.js';
import { ManualClock } from '../store/temp-store.js';

const DAY_MS = 86_400_000;

t.test('two failed days: one alert per streak, one recovery, the 2-of-2 CloudWatch alarm', async (t) => {
  const lab = await withLab(t, { empty: true });
  const { config } = loadConfig(lab.configFile);
  const clock = new ManualClock(new Date('2026-03-02T02:00:00Z'));
  const file = join(t.testdir(), 'drsentinel.sqlite');
  const adapters = buildAdapters(config);
  const sink = buildMetricSink(config)!;
  t.teardown(() => {
    adapters.close();
    sink.close();
  });
  const logged: string[] = [];
  const log = (_level: string, msg: string) => void logged.push(msg);
  // The service's wiring: the store, the alerts, and the sync service calling them after each run.
  const start = () => {
    const store = openStore(file, { clock });
    const alerts = new SyncAlerts({ store, notifiers: buildNotifications(config).team(), metricSink: sink, cloudwatch: config.aws.cloudwatch, clock, log });
    const syncs = new SyncService({ config, adapters, store, metrics: createMetrics(), clock, log, onRunFinished: (flow: SyncFlow) => alerts.afterRun(flow) });
    const stop = async () => {
      await syncs.close();
      await store.close();
    };
    return { store, alerts, syncs, stop };
  };
  let { store, alerts, syncs, stop } = start();
  t.teardown(() => stop());
  const run = async (expected: 'failed' | 'succeeded') => {
    const done = await syncs.wait((await syncs.start('uploads')).id);
    t.equal(done.status, expected, `${clock.now().toISOString().slice(0, 10)}: the uploads sync ${expected}`);
    return done;
  };
  const mails = () => lab.mail.messages();
  const hooks = () => lab.webhook.received().filter((c) => c.status === 200);

  // Day 1: Blob answers 503 (no Retry-After wait) — one failed day is no alert.
  lab.faults.set('blob', { status: 503, retryAfterSeconds: 0 });
  const first = await run('failed');
  t.equal(first.summary.failureClass, 'throttling', 'a 503 is classified as throttling');
  t.equal(mails().length, 0, 'one failed day: no alert');

  // Day 2: the second failed day alerts — e-mail now; the webhook is down and is retried later.
  clock.advance(DAY_MS);
  lab.webhook.respondWith(503);
  await run('failed');
  t.equal(mails().length, 1, 'the second failed day: one e-mail');
  const [alert] = mails();
  t.match(alert, { to: config.notify.email!.devops, subject: /uploads sync failed 2 days in a row \(throttling\)/ });
  t.match(alert?.text, /Failure class: throttling/);
  t.match(alert?.text, /2026-03-02, 2026-03-03/);
  t.match(alert?.html, /<td>throttling<\/td>/);
  t.equal(lab.webhook.received().length, 1, 'the webhook was tried once');
  t.ok(logged.some((l) => /not delivered by webhook; it is tried again later/.test(l)), 'the failed delivery is logged');

  await run('failed');
  t.equal(mails().length, 1, 'another failure the same day: no new e-mail');
  lab.webhook.respondWith(undefined);

  // Day 3, after a restart: still the same streak — the webhook gets its alert, nobody a second one.
  clock.advance(DAY_MS);
  await stop();
  ({ store, alerts, syncs, stop } = start());
  await run('failed');
  t.equal(mails().length, 1, 'a third failed day: no new e-mail');
  t.equal(hooks().length, 1, 'the webhook alert, delivered once it could be');
  const hook = hooks()[0]!;
  t.equal(hook.headers.authorization, `Bearer ${lab.endpoints.webhook.token}`);
  t.match(hook.body, { kind: 'sync-failure', data: { flow: 'uploads', failureClass: 'throttling', days: ['2026-03-02', '2026-03-03'] } });
  t.equal((await store.alerts.list(10)).length, 1, 'one alert recorded for the streak');

  // Day 4 morning: the daily publication (for day 3) and the alarm, which fires on 2 of 2.
  clock.advance(DAY_MS);
  await alerts.publishDaily(new Date('2026-03-04T00:30:00Z'));
  const published = await alerts.publishDaily(clock.now());
  t.same(published, {
    day: '2026-03-04',
    values: { site: null, uploads: 1, metadata: null },
    alarms: { site: 'unchanged', uploads: 'unchanged', metadata: 'unchanged' },
  });
  const alarm = () => lab.cloudwatch.alarms().find((a) => a.AlarmName === 'drsentinel-sync-failed-uploads');
  t.match(alarm(), { MetricName: 'SyncFailed', Dimensions: [{ Name: 'Flow', Value: 'uploads' }], EvaluationPeriods: 2, DatapointsToAlarm: 2, Period: 86_400, Threshold: 1 });
  t.equal(alarm()?.StateValue, 'ALARM', 'CloudWatch agrees: two failed days');
  t.equal(lab.cloudwatch.alarms().length, 3, 'one alarm per flow');

  // The fault is repaired: the first pass brings exactly one recovery notice on each channel.
  lab.faults.set('blob', undefined);
  await run('succeeded');
  await run('succeeded');
  t.equal(mails().length, 2, 'one recovery e-mail');
  t.match(mails()[1], { subject: /uploads sync recovered/, text: /passed again .*after failing since 2026-03-02 \(throttling\)/ });
  t.same(hooks().map((h) => (h.body as { kind: string }).kind), ['sync-failure', 'sync-recovery']);

  // The next day's publication: a good day, the alarm back to OK; an alarm changed by hand is put back.
  clock.advance(DAY_MS);
  const client = new CloudWatchClient(awsClientConfig(config, config.aws.cloudwatch!.endpoint, process.env, config.aws.cloudwatch!.ca));
  t.teardown(() => client.destroy());
  await client.send(new PutMetricAlarmCommand({ AlarmName: 'drsentinel-sync-failed-uploads', Namespace: 'drsentinel', MetricName: 'SyncFailed', Dimensions: [{ Name: 'Flow', Value: 'uploads' }], Statistic: 'Maximum', Period: 86_400, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }));
  const next = await alerts.publishDaily(clock.now());
  t.match(next, { day: '2026-03-05', values: { uploads: 0 }, alarms: { uploads: 'updated', site: 'unchanged' } });
  t.match(alarm(), { EvaluationPeriods: 2, DatapointsToAlarm: 2, StateValue: 'OK' });

  // Nothing secret went out.
  const secrets = [lab.endpoints.webhook.token, lab.endpoints.aws.secretAccessKey, lab.endpoints.azure.cosmos.key, 'AccountKey='];
  const sent = JSON.stringify([lab.mail.messages(), lab.webhook.received().map((c) => c.body)]);
  for (const secret of secrets) t.notOk(sent.includes(secret), 'no secret in any notification');
});
