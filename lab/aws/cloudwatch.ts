/**
 * The CloudWatch twin: PutMetricData, PutMetricAlarm and DescribeAlarms in AWS's JSON 1.0
 * protocol (POST /, `X-Amz-Target: GraniteServiceVersion20100801.<Action>`), on the lab's HTTPS
 * frame. It keeps the datapoints and alarms in memory and evaluates each alarm over the
 * periods of its datapoints (not the wall clock), so tests driving a clock of their own can
 * see an alarm go to ALARM.
 */
import type { FaultSwitch } from '../faults.js';
import { startHttpsTwin, TwinRouter, type TwinAnswer, type TwinRequest } from '../https-twin.js';
import type { TwinCertificate } from '../tls.js';

const TARGET_PREFIX = 'GraniteServiceVersion20100801.';
const ACCOUNT = '000000000000';
const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
const COMPARISONS = ['GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const;
type Statistic = (typeof STATISTICS)[number];
type Comparison = (typeof COMPARISONS)[number];

export interface Dimension {
  Name: string;
  Value: string;
}

export interface Datapoint {
  namespace: string;
  metric: string;
  dimensions: Dimension[];
  /** Epoch milliseconds. */
  timestamp: number;
  value: number;
}

/** An alarm as DescribeAlarms answers it (timestamps in epoch seconds). */
export interface MetricAlarm {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  ActionsEnabled: boolean;
  AlarmActions: string[];
  OKActions: string[];
  InsufficientDataActions: string[];
  Namespace: string;
  MetricName: string;
  Dimensions: Dimension[];
  Statistic: Statistic;
  Period: number;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  Threshold: number;
  ComparisonOperator: Comparison;
  TreatMissingData: string;
  StateValue: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  StateReason: string;
  StateUpdatedTimestamp: number;
  AlarmConfigurationUpdatedTimestamp: number;
}

export interface CloudWatchTwin {
  endpoint: string;
  /** Every alarm, evaluated against the datapoints as they stand. */
  alarms(): MetricAlarm[];
  datapoints(namespace: string, metric: string): Datapoint[];
  close(): Promise<void>;
}

/** AWS's error in the JSON protocol; the header carries the Query-era code the SDK reports. */
function awsError(status: number, code: string, message: string): TwinAnswer {
  return {
    status,
    headers: { 'x-amzn-query-error': `${code};${status >= 500 ? 'Receiver' : 'Sender'}` },
    body: { __type: `com.amazonaws.cloudwatch#${code}`, message },
  };
}

class InvalidParameter extends Error {}

function required<T>(value: T | undefined, name: string): T {
  if (value === undefined || value === null || value === '') throw new InvalidParameter(`The parameter ${name} is required.`);
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value as T)) throw new InvalidParameter(`${name} must be one of ${allowed.join(', ')}.`);
  return value as T;
}

const sameDimensions = (a: Dimension[], b: Dimension[]) =>
  a.length === b.length && a.every((d) => b.some((e) => e.Name === d.Name && e.Value === d.Value));

function aggregate(values: number[], statistic: Statistic): number {
  switch (statistic) {
    case 'SampleCount': return values.length;
    case 'Sum': return values.reduce((s, v) => s + v, 0);
    case 'Average': return values.reduce((s, v) => s + v, 0) / values.length;
    case 'Minimum': return Math.min(...values);
    case 'Maximum': return Math.max(...values);
  }
}

function breaches(value: number, alarm: MetricAlarm): boolean {
  switch (alarm.ComparisonOperator) {
    case 'GreaterThanOrEqualToThreshold': return value >= alarm.Threshold;
    case 'GreaterThanThreshold': return value > alarm.Threshold;
    case 'LessThanThreshold': return value < alarm.Threshold;
    case 'LessThanOrEqualToThreshold': return value <= alarm.Threshold;
  }
}

/** The last EvaluationPeriods periods up to the newest datapoint; ALARM when DatapointsToAlarm of them breach. */
function evaluate(alarm: MetricAlarm, points: Datapoint[]): Pick<MetricAlarm, 'StateValue' | 'StateReason'> {
  const periodMs = alarm.Period * 1000;
  const byPeriod = new Map<number, number[]>();
  for (const p of points) {
    if (p.namespace !== alarm.Namespace || p.metric !== alarm.MetricName || !sameDimensions(p.dimensions, alarm.Dimensions)) continue;
    const bucket = Math.floor(p.timestamp / periodMs);
    byPeriod.set(bucket, [...(byPeriod.get(bucket) ?? []), p.value]);
  }
  if (byPeriod.size === 0) return { StateValue: 'INSUFFICIENT_DATA', StateReason: 'Insufficient Data: no datapoints were received.' };
  const newest = Math.max(...byPeriod.keys());
  const window = Array.from({ length: alarm.EvaluationPeriods }, (_, i) => byPeriod.get(newest - i)).filter((v) => v !== undefined);
  const breaching = window.filter((values) => breaches(aggregate(values, alarm.Statistic), alarm)).length;
  const verdict = `${breaching} out of the last ${alarm.EvaluationPeriods} datapoints were breaching the threshold (${alarm.Threshold}).`;
  return breaching >= alarm.DatapointsToAlarm
    ? { StateValue: 'ALARM', StateReason: `Threshold Crossed: ${verdict}` }
    : { StateValue: 'OK', StateReason: `Threshold not crossed: ${verdict}` };
}

type Body = Record<string, unknown>;

function toDimensions(value: unknown): Dimension[] {
  return ((value as Dimension[] | undefined) ?? []).map((d) => ({ Name: required(d.Name, 'Dimensions.Name'), Value: required(d.Value, 'Dimensions.Value') }));
}

export async function startCloudWatchTwin(o: { host: string; tls: TwinCertificate; faults: FaultSwitch; region: string; accessKeyId: string }): Promise<CloudWatchTwin> {
  const alarms = new Map<string, MetricAlarm>();
  const points: Datapoint[] = [];
  const nowSeconds = () => Date.now() / 1000;
  const evaluated = (alarm: MetricAlarm): MetricAlarm => {
    const state = evaluate(alarm, points);
    if (state.StateValue !== alarm.StateValue) Object.assign(alarm, state, { StateUpdatedTimestamp: nowSeconds() });
    return structuredClone(alarm);
  };

  const actions: Record<string, (body: Body) => unknown> = {
    PutMetricData(body) {
      const namespace = required(body.Namespace as string | undefined, 'Namespace');
      for (const d of required(body.MetricData as Body[] | undefined, 'MetricData')) {
        const base = {
          namespace,
          metric: required(d.MetricName as string | undefined, 'MetricData.MetricName'),
          dimensions: toDimensions(d.Dimensions),
          timestamp: typeof d.Timestamp === 'number' ? d.Timestamp * 1000 : Date.now(),
        };
        const values = typeof d.Value === 'number' ? [d.Value] : ((d.Values as number[] | undefined) ?? []);
        if (values.length === 0) throw new InvalidParameter('MetricData must carry a Value or Values.');
        for (const value of values) points.push({ ...base, value });
      }
      return {};
    },
    PutMetricAlarm(body) {
      const name = required(body.AlarmName as string | undefined, 'AlarmName');
      const previous = alarms.get(name);
      const evaluationPeriods = required(body.EvaluationPeriods as number | undefined, 'EvaluationPeriods');
      const datapointsToAlarm = (body.DatapointsToAlarm as number | undefined) ?? evaluationPeriods;
      if (datapointsToAlarm > evaluationPeriods) throw new InvalidParameter('DatapointsToAlarm must be less than or equal to EvaluationPeriods.');
      const now = nowSeconds();
      const alarm: MetricAlarm = {
        AlarmName: name,
        AlarmArn: `arn:aws:cloudwatch:${o.region}:${ACCOUNT}:alarm:${name}`,
        ...(typeof body.AlarmDescription === 'string' ? { AlarmDescription: body.AlarmDescription } : {}),
        ActionsEnabled: (body.ActionsEnabled as boolean | undefined) ?? true,
        AlarmActions: (body.AlarmActions as string[] | undefined) ?? [],
        OKActions: (body.OKActions as string[] | undefined) ?? [],
        InsufficientDataActions: (body.InsufficientDataActions as string[] | undefined) ?? [],
        Namespace: required(body.Namespace as string | undefined, 'Namespace'),
        MetricName: required(body.MetricName as string | undefined, 'MetricName'),
        Dimensions: toDimensions(body.Dimensions),
        Statistic: oneOf(required(body.Statistic, 'Statistic'), STATISTICS, 'Statistic'),
        Period: required(body.Period as number | undefined, 'Period'),
        EvaluationPeriods: evaluationPeriods,
        DatapointsToAlarm: datapointsToAlarm,
        Threshold: required(body.Threshold as number | undefined, 'Threshold'),
        ComparisonOperator: oneOf(required(body.ComparisonOperator, 'ComparisonOperator'), COMPARISONS, 'ComparisonOperator'),
        TreatMissingData: (body.TreatMissingData as string | undefined) ?? 'missing',
        StateValue: previous?.StateValue ?? 'INSUFFICIENT_DATA',
        StateReason: previous?.StateReason ?? 'Unchecked: Initial alarm creation',
        StateUpdatedTimestamp: previous?.StateUpdatedTimestamp ?? now,
        AlarmConfigurationUpdatedTimestamp: now,
      };
      alarms.set(name, alarm);
      return {};
    },
    DescribeAlarms(body) {
      const names = body.AlarmNames as string[] | undefined;
      const prefix = body.AlarmNamePrefix as string | undefined;
      if (names?.length && prefix) throw new InvalidParameter('AlarmNames and AlarmNamePrefix cannot be given together.');
      const chosen = [...alarms.values()].filter((a) => (names?.length ? names.includes(a.AlarmName) : prefix ? a.AlarmName.startsWith(prefix) : true));
      return { MetricAlarms: chosen.map(evaluated), CompositeAlarms: [] };
    },
  };

  const handle = (req: TwinRequest): TwinAnswer => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.startsWith(TARGET_PREFIX) ? actions[target.slice(TARGET_PREFIX.length)] : undefined;
    if (!action) return awsError(400, 'UnknownOperationException', `the CloudWatch twin does not know ${target || 'this operation'}`);
    const credential = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    if (credential !== o.accessKeyId) return awsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    if (typeof req.body !== 'object' || req.body === null) return awsError(400, 'SerializationException', 'the body is not a JSON object');
    try {
      return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: action(req.body as Body) };
    } catch (err) {
      if (err instanceof InvalidParameter) return awsError(400, 'InvalidParameterValue', err.message);
      throw err;
    }
  };

  const router = new TwinRouter().add('POST', '/', handle);
  const twin = await startHttpsTwin({
    service: 'cloudwatch',
    host: o.host,
    tls: o.tls,
    faults: o.faults,
    router,
    faultBody: (status) => (status === 429 ? awsError(429, 'Throttling', 'Rate exceeded') : awsError(503, 'ServiceUnavailable', `lab fault: ${status}`)),
  });
  return {
    endpoint: twin.url,
    alarms: () => [...alarms.values()].map(evaluated),
    datapoints: (namespace, metric) => points.filter((p) => p.namespace === namespace && p.metric === metric).map((p) => structuredClone(p)),
    close: () => twin.close(),
  };
}
