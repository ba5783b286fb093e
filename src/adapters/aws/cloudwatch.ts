/**
 * CloudWatch as the MetricSink: drsentinel's own datapoints (the daily sync failure metric of
 * R4) and the alarms on them. `ensureAlarm` reads the alarm back and rewrites it only when a
 * field drifted from the spec, so running it daily is cheap and corrects hand edits.
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  PutMetricAlarmCommand,
  PutMetricDataCommand,
  type MetricAlarm,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import type { Config } from '../../config/schema.js';
import type { MetricAlarmSpec, MetricSink } from '../../core/ports.js';
import { awsClientConfig } from './client-config.js';

/** A day without a datapoint (no sync ran) is neither a failure nor a success of the sync. */
const TREAT_MISSING_DATA = 'missing';
/** The spec is "≥ threshold"; the maximum of a period sees one failing datapoint in it. */
const STATISTIC = 'Maximum';
const COMPARISON = 'GreaterThanOrEqualToThreshold';

const toDimensions = (dimensions: Record<string, string>) =>
  Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })).sort((a, b) => a.Name.localeCompare(b.Name));

function alarmInput(spec: MetricAlarmSpec): PutMetricAlarmCommandInput {
  return {
    AlarmName: spec.name,
    AlarmDescription: spec.description,
    Namespace: spec.namespace,
    MetricName: spec.metric,
    Dimensions: toDimensions(spec.dimensions),
    Statistic: STATISTIC,
    Period: spec.periodSeconds,
    EvaluationPeriods: spec.evaluationPeriods,
    DatapointsToAlarm: spec.datapointsToAlarm,
    Threshold: spec.threshold,
    ComparisonOperator: COMPARISON,
    TreatMissingData: TREAT_MISSING_DATA,
  };
}

/** The fields of the existing alarm that differ from what the spec asks for. */
export function alarmDrift(existing: MetricAlarm, wanted: PutMetricAlarmCommandInput): string[] {
  const drift: string[] = [];
  const scalars = ['AlarmDescription', 'Namespace', 'MetricName', 'Statistic', 'Period', 'EvaluationPeriods', 'Threshold', 'ComparisonOperator', 'TreatMissingData'] as const;
  for (const field of scalars) if (existing[field] !== wanted[field]) drift.push(field);
  // An alarm created without DatapointsToAlarm evaluates as N of N.
  if ((existing.DatapointsToAlarm ?? existing.EvaluationPeriods) !== wanted.DatapointsToAlarm) drift.push('DatapointsToAlarm');
  const dims = (d: MetricAlarm['Dimensions']) => JSON.stringify(toDimensions(Object.fromEntries((d ?? []).map((x) => [x.Name ?? '', x.Value ?? '']))));
  if (dims(existing.Dimensions) !== dims(wanted.Dimensions)) drift.push('Dimensions');
  return drift;
}

export class CloudWatchMetricSink implements MetricSink {
  constructor(private readonly client: CloudWatchClient) {}

  async put(namespace: string, metric: string, value: number, dimensions: Record<string, string>, at: Date, signal?: AbortSignal): Promise<void> {
    await this.client.send(
      new PutMetricDataCommand({ Namespace: namespace, MetricData: [{ MetricName: metric, Dimensions: toDimensions(dimensions), Timestamp: at, Value: value, Unit: 'Count' }] }),
      { abortSignal: signal },
    );
  }

  async ensureAlarm(spec: MetricAlarmSpec, signal?: AbortSignal): Promise<'created' | 'unchanged' | 'updated'> {
    const wanted = alarmInput(spec);
    const found = await this.client.send(new DescribeAlarmsCommand({ AlarmNames: [spec.name], AlarmTypes: ['MetricAlarm'] }), { abortSignal: signal });
    const existing = found.MetricAlarms?.find((a) => a.AlarmName === spec.name);
    if (existing && alarmDrift(existing, wanted).length === 0) return 'unchanged';
    // PutMetricAlarm replaces the whole alarm: keep the actions someone attached (SNS topics).
    const actions = existing
      ? { ActionsEnabled: existing.ActionsEnabled, AlarmActions: existing.AlarmActions, OKActions: existing.OKActions, InsufficientDataActions: existing.InsufficientDataActions }
      : {};
    await this.client.send(new PutMetricAlarmCommand({ ...wanted, ...actions }), { abortSignal: signal });
    return existing ? 'updated' : 'created';
  }

  close(): void {
    this.client.destroy();
  }
}

/** The sink, when `aws.cloudwatch` is configured. Secrets are read now. */
export function buildMetricSink(config: Config, env: NodeJS.ProcessEnv = process.env): CloudWatchMetricSink | undefined {
  const cw = config.aws.cloudwatch;
  if (!cw) return undefined;
  return new CloudWatchMetricSink(new CloudWatchClient(awsClientConfig(config, cw.endpoint, env, cw.ca)));
}
