/**
 * R4 sync alerting. After every forward sync run of a flow: on the second consecutive failed
 * day (UTC) one alert goes to every notifier, naming the flow and the failure class; the
 * first passing day after it brings one recovery notice. Alerts and their deliveries are in
 * the store, so a restart neither repeats nor forgets one; a channel that failed is tried
 * again on the next run or daily publication. Daily, each flow's `SyncFailed` datapoint
 * (1 failed day, 0 good) goes to CloudWatch, whose alarm (2 of 2 daily periods) is verified.
 */
import type { Clock } from '../core/clock.js';
import type { MetricAlarmSpec, MetricSink, Notifier } from '../core/ports.js';
import { describeError } from '../core/result.js';
import type { Store, SyncAlertRecord, SyncFlow, SyncRunRecord } from '../store/types.js';
import { FLOWS } from '../sync/service.js';
import { alertMessage, recoveryMessage, scrub } from './messages.js';
import { failedStreak, previousUtcDay } from './streak.js';

/** Failed days in a row that raise the alert (R4: "two days in a row"). */
export const ALERT_AFTER_DAYS = 2;
export const SYNC_FAILED_METRIC = 'SyncFailed';
const DAY_SECONDS = 86_400;
/** Far more days than any streak lasts unnoticed; bounds the store read. */
const DAYS_READ = 400;
/** Recent runs searched for the newest failure's facts. */
const RUNS_READ = 50;
/** Alerts of a flow looked at for undelivered messages. */
const ALERTS_READ = 5;

export interface SyncAlertsDeps {
  store: Store;
  notifiers: readonly Notifier[];
  metricSink?: MetricSink;
  /** From `aws.cloudwatch`: where the metric goes and what the alarms are called. */
  cloudwatch?: { namespace: string; alarmPrefix: string };
  clock: Clock;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

export interface DailyPublication {
  day: string;
  /** Per flow: the value sent, or null when the flow had no finished run that day. */
  values: Partial<Record<SyncFlow, 0 | 1 | null>>;
  alarms: Partial<Record<SyncFlow, 'created' | 'unchanged' | 'updated'>>;
}

const DEFAULT_CLOUDWATCH = { namespace: 'drsentinel', alarmPrefix: 'drsentinel-sync-failed' };

export class SyncAlerts {
  /** One evaluation at a time, so two callers never deliver the same message twice. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: SyncAlertsDeps) {}

  /** Call after each forward run of `flow` has been recorded. Delivery failures are logged, not thrown. */
  afterRun(flow: SyncFlow, signal?: AbortSignal): Promise<void> {
    return this.serial(async () => {
      this.evaluate(flow);
      await this.deliver(flow, signal);
    });
  }

  /** The alarm spec of one flow, as `publishDaily` creates or verifies it. */
  alarmSpec(flow: SyncFlow): MetricAlarmSpec {
    const { namespace, alarmPrefix } = this.deps.cloudwatch ?? DEFAULT_CLOUDWATCH;
    return {
      name: `${alarmPrefix}-${flow}`,
      namespace,
      metric: SYNC_FAILED_METRIC,
      dimensions: { Flow: flow },
      threshold: 1,
      periodSeconds: DAY_SECONDS,
      evaluationPeriods: ALERT_AFTER_DAYS,
      datapointsToAlarm: ALERT_AFTER_DAYS,
      description: `drsentinel R4: the ${flow} sync failed ${ALERT_AFTER_DAYS} days in a row`,
    };
  }

  /**
   * Publishes the last whole UTC day before `now` for every flow, verifies the alarms, and
   * retries undelivered notifications. Throws, after trying everything, if CloudWatch refused.
   */
  publishDaily(now: Date = this.deps.clock.now(), signal?: AbortSignal): Promise<DailyPublication> {
    return this.serial(async () => {
      const day = previousUtcDay(now);
      const publication: DailyPublication = { day, values: {}, alarms: {} };
      const problems: string[] = [];
      for (const flow of FLOWS) {
        this.evaluate(flow);
        await this.deliver(flow, signal);
        const sink = this.deps.metricSink;
        if (!sink) continue;
        const spec = this.alarmSpec(flow);
        try {
          const outcome = this.deps.store.alerts.syncDays(flow, DAYS_READ).find((d) => d.day === day);
          const value = outcome ? (outcome.succeeded > 0 ? 0 : 1) : null;
          publication.values[flow] = value;
          if (value !== null) await sink.put(spec.namespace, spec.metric, value, spec.dimensions, new Date(`${day}T00:00:00Z`), signal);
          publication.alarms[flow] = await sink.ensureAlarm(spec, signal);
          if (publication.alarms[flow] !== 'unchanged') this.deps.log('info', `CloudWatch alarm ${spec.name} ${publication.alarms[flow]}`);
        } catch (error) {
          problems.push(`${flow}: ${describeError(error)}`);
        }
      }
      if (problems.length > 0) throw new Error(`the daily sync metrics did not all reach CloudWatch (${problems.join('; ')})`);
      return publication;
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Records what the runs say: a new streak's alert, or the recovery of the open one. */
  private evaluate(flow: SyncFlow): void {
    const { store } = this.deps;
    const streak = failedStreak(store.alerts.syncDays(flow, DAYS_READ));
    const newest = store.alerts.list(1, flow)[0];
    if (newest && !newest.recoveredAt && newest.streakStart !== streak?.start) {
      store.alerts.recover(flow, newest.streakStart);
      this.deps.log('info', `sync ${flow} recovered from the failures that began ${newest.streakStart}`);
    }
    if (!streak || streak.days.length < ALERT_AFTER_DAYS || newest?.streakStart === streak.start) return;
    const failure = this.lastFailure(flow);
    const opened = store.alerts.open({
      flow,
      streakStart: streak.start,
      failureClass: String(failure?.summary.failureClass ?? 'other'),
      failedDays: streak.days,
      lastError: scrub(failureReason(failure)),
    });
    if (opened) this.deps.log('warn', `sync ${flow} failed ${streak.days.length} days in a row: alerting`, { streakStart: streak.start });
  }

  private lastFailure(flow: SyncFlow): SyncRunRecord | undefined {
    return this.deps.store.syncs.list(RUNS_READ, flow).find((r) => !r.reverse && r.status === 'failed');
  }

  /** Sends what some channel has not had yet: an open alert, or the recovery of an alert it had. */
  private async deliver(flow: SyncFlow, signal?: AbortSignal): Promise<void> {
    const { store } = this.deps;
    for (const alert of store.alerts.list(ALERTS_READ, flow).reverse()) {
      if (!alert.recoveredAt) {
        const message = alertMessage(alert, this.lastFailure(flow)?.id);
        await this.sendEach(alert, 'alert', this.deps.notifiers.filter((n) => !alert.alertSentTo.includes(n.channel)), message, signal);
      } else {
        const pending = this.deps.notifiers.filter((n) => alert.alertSentTo.includes(n.channel) && !alert.recoverySentTo.includes(n.channel));
        if (pending.length === 0) continue;
        const success = store.syncs.lastSuccess(flow);
        const message = recoveryMessage(alert, success ? { runId: success.id, at: success.finishedAt ?? success.startedAt } : {});
        await this.sendEach(alert, 'recovery', pending, message, signal);
      }
    }
  }

  private async sendEach(alert: SyncAlertRecord, kind: 'alert' | 'recovery', notifiers: readonly Notifier[], message: Parameters<Notifier['send']>[0], signal?: AbortSignal): Promise<void> {
    for (const notifier of notifiers) {
      try {
        await notifier.send(message, signal);
        this.deps.store.alerts.markSent(alert.flow, alert.streakStart, kind, notifier.channel);
      } catch (error) {
        this.deps.log('warn', `the ${alert.flow} sync ${kind} was not delivered by ${notifier.channel}; it is tried again later: ${scrub(describeError(error))}`);
      }
    }
  }
}

function failureReason(run: SyncRunRecord | undefined): string {
  if (!run) return 'no failed run was found';
  const summary = run.summary as { error?: unknown; verification?: { reason?: unknown } };
  return String(summary.error ?? summary.verification?.reason ?? 'the run failed without a recorded reason');
}
