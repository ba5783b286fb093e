/**
 * The CloudWatch twin with the real SDK, through drsentinel's MetricSink: the JSON 1.0
 * protocol, alarm creation, verification and correction (R4's 2-of-2 alarm), evaluation of
 * the alarm from daily datapoints, signature credentials, and faults in AWS's own dialect.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { startCloudWatchTwin } from '../../lab/aws/cloudwatch.js';
import { FaultSwitch } from '../../lab/faults.js';
import { makeTwinCertificate } from '../../lab/tls.js';
import { awsClientConfig } from '../../src/adapters/aws/client-config.js';
import { CloudWatchMetricSink } from '../../src/adapters/aws/cloudwatch.js';
import type { Config } from '../../src/config/schema.js';
import type { MetricAlarmSpec } from '../../src/core/ports.js';

const KEY = 'LABKEY';
const SPEC: MetricAlarmSpec = {
  name: 'drsentinel-sync-failed-uploads',
  namespace: 'drsentinel',
  metric: 'SyncFailed',
  dimensions: { Flow: 'uploads' },
  threshold: 1,
  periodSeconds: 86_400,
  evaluationPeriods: 2,
  datapointsToAlarm: 2,
  description: 'the uploads sync failed 2 days in a row',
};
const day = (d: string) => new Date(`${d}T00:00:00Z`);

async function setUp(t: Test, accessKeyId = KEY) {
  const tls = await makeTwinCertificate(join(t.testdir(), 'tls'), ['127.0.0.1']);
  const faults = new FaultSwitch();
  const twin = await startCloudWatchTwin({ host: '127.0.0.1', tls, faults, region: 'us-east-1', accessKeyId: KEY });
  t.teardown(() => twin.close());
  // The production client settings, from a config as the loader would give it.
  const config = { aws: { region: 'us-east-1', accessKeyId: { env: 'CW_KEY' }, secretAccessKey: { env: 'CW_SECRET' } }, sync: { requestTimeoutSeconds: 60 } } as unknown as Config;
  const client = new CloudWatchClient(awsClientConfig(config, twin.endpoint, { CW_KEY: accessKeyId, CW_SECRET: 'not-checked' }, tls.caFile));
  t.teardown(() => client.destroy());
  return { twin, faults, client, sink: new CloudWatchMetricSink(client) };
}

t.test('ensureAlarm creates the 2-of-2 alarm, then finds it unchanged', async (t) => {
  const { sink, client } = await setUp(t);
  t.equal(await sink.ensureAlarm(SPEC), 'created');
  t.equal(await sink.ensureAlarm(SPEC), 'unchanged');
  const { MetricAlarms } = await client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'drsentinel-sync-failed-' }));
  t.equal(MetricAlarms?.length, 1);
  t.match(MetricAlarms?.[0], {
    AlarmName: SPEC.name, Namespace: 'drsentinel', MetricName: 'SyncFailed', Dimensions: [{ Name: 'Flow', Value: 'uploads' }],
    EvaluationPeriods: 2, DatapointsToAlarm: 2, Period: 86_400, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    StateValue: 'INSUFFICIENT_DATA',
  });
  t.ok(MetricAlarms?.[0]?.AlarmConfigurationUpdatedTimestamp instanceof Date, 'timestamps parse as dates');
});

t.test('an alarm changed by hand is put back, keeping the actions someone attached', async (t) => {
  const { sink, client, twin } = await setUp(t);
  await sink.ensureAlarm(SPEC);
  const topic = 'arn:aws:sns:us-east-1:000000000000:devops';
  await client.send(new PutMetricAlarmCommand({
    AlarmName: SPEC.name, Namespace: 'drsentinel', MetricName: 'SyncFailed', Dimensions: [{ Name: 'Flow', Value: 'uploads' }],
    Statistic: 'Maximum', Period: 86_400, EvaluationPeriods: 1, DatapointsToAlarm: 1, Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold', AlarmActions: [topic],
  }));
  t.equal(await sink.ensureAlarm(SPEC), 'updated');
  t.match(twin.alarms()[0], { EvaluationPeriods: 2, DatapointsToAlarm: 2, AlarmActions: [topic] });
  t.equal(await sink.ensureAlarm(SPEC), 'unchanged');
});

t.test('the alarm fires on two failed days in a row, not on one', async (t) => {
  const { sink, twin } = await setUp(t);
  await sink.ensureAlarm(SPEC);
  await sink.put('drsentinel', 'SyncFailed', 0, { Flow: 'uploads' }, day('2026-03-01'));
  await sink.put('drsentinel', 'SyncFailed', 1, { Flow: 'uploads' }, day('2026-03-02'));
  t.equal(twin.alarms()[0]?.StateValue, 'OK', 'one failed day');
  await sink.put('drsentinel', 'SyncFailed', 1, { Flow: 'site' }, day('2026-03-03'));
  t.equal(twin.alarms()[0]?.StateValue, 'OK', 'another flow does not count');
  await sink.put('drsentinel', 'SyncFailed', 1, { Flow: 'uploads' }, day('2026-03-03'));
  t.equal(twin.alarms()[0]?.StateValue, 'ALARM', 'two failed days');
  t.match(twin.alarms()[0]?.StateReason, /2 out of the last 2 datapoints/);
  await sink.put('drsentinel', 'SyncFailed', 0, { Flow: 'uploads' }, day('2026-03-04'));
  t.equal(twin.alarms()[0]?.StateValue, 'OK', 'a good day');
  t.same(twin.datapoints('drsentinel', 'SyncFailed').filter((p) => p.dimensions[0]?.Value === 'uploads').map((p) => p.value), [0, 1, 1, 0]);
});

t.test('a wrong access key is refused the way AWS refuses it', async (t) => {
  const { sink } = await setUp(t, 'SOMEONE-ELSE');
  await t.rejects(sink.ensureAlarm(SPEC), { name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } });
});

t.test('faults speak AWS: throttling is retried by the SDK, an outage surfaces', async (t) => {
  const { sink, faults, twin } = await setUp(t);
  faults.set('cloudwatch', { status: 429, count: 1 });
  await sink.put('drsentinel', 'SyncFailed', 1, { Flow: 'site' }, day('2026-03-02'));
  t.equal(twin.datapoints('drsentinel', 'SyncFailed').length, 1, 'the throttled call went through on retry');
  faults.set('cloudwatch', { status: 503 });
  await t.rejects(sink.put('drsentinel', 'SyncFailed', 1, { Flow: 'site' }, day('2026-03-03')), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
});
