/**
 * R4 sync alerting. After every forward sync run of a flow, and daily for every flow (so that
 * a day whose run hung or never started is judged too): on the second consecutive failed day
 * (UTC, see streak.ts; a day inside a contingency is passed over) one alert goes to every
 * notifier, naming the flow and the failure class; the first success after it brings one
 * recovery notice. Alerts and their deliveries are in the store, so a restart neither repeats
 * nor forgets one; a channel that failed is tried again on the next run or daily publication.
 * Daily, each flow's `SyncFailed` datapoint (1 failed day, 0 good, none for a day inside a
 * contingency) goes to CloudWatch, whose alarm (2 of 2 daily periods) is verified.
 */
import type { Clock } from '../core/clock.js';
import type { MetricAlarmSpec, MetricSink, Notifier } from '../core/ports.js';
import { describeError } from '../core/result.js';
import type { Store, SyncAlertRecord, SyncRunRecord } from '../store/types.js';
import type { SyncFlow } from '../core/flows.js';
import { SYNC_FLOWS } from '../core/flows.js';
import { alertMessage, recoveryMessage, scrub } from './messages.js';
import { dayFailed, failedStreak, previousUtcDay, shiftUtcDay, utcDay, type FailedStreak, type SyncHistory } from './streak.js';

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
  /** Per flow: the value sent, or null for a day before the flow's first (nothing was due). */
  values: Partial<Record<SyncFlow, 0 | 1 | null>>;
  alarms: Partial<Record<SyncFlow, 'created' | 'unchanged' | 'updated'>>;
}

const DEFAULT_CLOUDWATCH = { namespace: 'drsentinel', alarmPrefix: 'drsentinel-sync-failed' };

/** `startedAt` is an ISO instant in UTC: its first ten characters are the run's UTC day. */
const startDay = (run: SyncRunRecord): string => run.startedAt.slice(0, 10);

export class SyncAlerts {
  /** One evaluation at a time, so two callers never deliver the same message twice. */
  private queue: Promise<unknown> = Promise.resolve();
  /** A flow that never ran is due from the first whole day of this process: a fresh install has missed nothing. */
  private readonly firstWholeDay: string;

  constructor(private readonly deps: SyncAlertsDeps) {
    this.firstWholeDay = shiftUtcDay(utcDay(deps.clock.now()), 1);
  }

  /** Call after each forward run of `flow` has been recorded. Delivery failures are logged, not thrown. */
  afterRun(flow: SyncFlow, signal?: AbortSignal): Promise<void> {
    return this.serial(async () => {
      await this.evaluate(flow, this.deps.clock.now());
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
      for (const flow of SYNC_FLOWS) {
        await this.evaluate(flow, now);
        await this.deliver(flow, signal);
        const sink = this.deps.metricSink;
        if (!sink) continue;
        const spec = this.alarmSpec(flow);
        try {
          const failed = dayFailed(await this.history(flow), day);
          const value = failed === undefined ? null : failed ? 1 : 0;
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

  /**
   * Records what the runs say: the recovery of the open alert once a run has passed, or a new
   * streak's alert. An open alert stays the only one until a success, even if the streak's
   * first day moves (a restart of a service whose flow never ran).
   */
  private async evaluate(flow: SyncFlow, now: Date): Promise<void> {
    const { store } = this.deps;
    const [newest] = await store.alerts.list(1, flow);
    const open = newest && !newest.recoveredAt ? newest : undefined;
    if (open) {
      if (!(await this.passedSince(flow, open.streakStart))) return;
      await store.alerts.recover(flow, open.streakStart);
      this.deps.log('info', `sync ${flow} recovered from the failures that began ${open.streakStart}`);
    }
    const streak = failedStreak(await this.history(flow), now);
    if (!streak || streak.days.length < ALERT_AFTER_DAYS || newest?.streakStart === streak.start) return;
    const opened = await store.alerts.open({ flow, streakStart: streak.start, failedDays: streak.days, ...(await this.cause(flow, streak)) });
    if (opened) this.deps.log('warn', `sync ${flow} failed ${streak.days.length} days in a row: alerting`, { streakStart: streak.start });
  }

  private async history(flow: SyncFlow): Promise<SyncHistory> {
    const days = await this.deps.store.alerts.syncDays(flow, DAYS_READ);
    // Unfinished runs (hung, interrupted) have no finished day, but they too mark the flow as started.
    const started = [...days.map((d) => d.day), ...(await this.forwardRuns(flow)).map(startDay)];
    const firstDay = started.length > 0 ? started.reduce((a, b) => (a < b ? a : b)) : this.firstWholeDay;
    // The newest contingency is the one a streak can reach: the store answers for it alone.
    const contingency = await this.deps.store.contingencies.latest();
    return { days, firstDay, held: contingency ? [contingency] : [] };
  }

  private async passedSince(flow: SyncFlow, day: string): Promise<boolean> {
    const success = await this.deps.store.syncs.lastSuccess(flow);
    return success !== undefined && startDay(success) >= day;
  }

  /** Why the streak's days failed: its newest failed run, else a run that never finished, else no run at all. */
  private async cause(flow: SyncFlow, streak: FailedStreak): Promise<{ failureClass: string; lastError: string }> {
    const failure = await this.lastFailure(flow, streak.start);
    if (failure) return { failureClass: failure.summary.failureClass ?? 'other', lastError: scrub(failureReason(failure)) };
    const runs = await this.forwardRuns(flow);
    const hung = runs.find((r) => r.status === 'running');
    if (hung) return { failureClass: 'timeout', lastError: `run ${hung.id}, started ${hung.startedAt}, has not finished` };
    const interrupted = runs.find((r) => r.status === 'interrupted' && startDay(r) >= streak.start);
    if (interrupted) return { failureClass: 'other', lastError: `run ${interrupted.id}, started ${interrupted.startedAt}, was interrupted (the service stopped)` };
    return { failureClass: 'other', lastError: `no forward run started on ${streak.days.join(', ')}` };
  }

  private async forwardRuns(flow: SyncFlow): Promise<SyncRunRecord[]> {
    return (await this.deps.store.syncs.list(RUNS_READ, flow)).filter((r) => !r.reverse);
  }

  /** The newest failed forward run started on or after `sinceDay`. */
  private async lastFailure(flow: SyncFlow, sinceDay: string): Promise<SyncRunRecord | undefined> {
    return (await this.forwardRuns(flow)).find((r) => r.status === 'failed' && startDay(r) >= sinceDay);
  }

  /** Sends what some channel has not had yet: an open alert, or the recovery of an alert it had. */
  private async deliver(flow: SyncFlow, signal?: AbortSignal): Promise<void> {
    const { store } = this.deps;
    for (const alert of (await store.alerts.list(ALERTS_READ, flow)).reverse()) {
      if (!alert.recoveredAt) {
        const message = alertMessage(alert, (await this.lastFailure(flow, alert.streakStart))?.id);
        await this.sendEach(alert, 'alert', this.deps.notifiers.filter((n) => !alert.alertSentTo.includes(n.channel)), message, signal);
      } else {
        const pending = this.deps.notifiers.filter((n) => alert.alertSentTo.includes(n.channel) && !alert.recoverySentTo.includes(n.channel));
        if (pending.length === 0) continue;
        const success = await store.syncs.lastSuccess(flow);
        const message = recoveryMessage(alert, success ? { runId: success.id, at: success.finishedAt ?? success.startedAt } : {});
        await this.sendEach(alert, 'recovery', pending, message, signal);
      }
    }
  }

  private async sendEach(alert: SyncAlertRecord, kind: 'alert' | 'recovery', notifiers: readonly Notifier[], message: Parameters<Notifier['send']>[0], signal?: AbortSignal): Promise<void> {
    for (const notifier of notifiers) {
      try {
        await notifier.send(message, signal);
        await this.deps.store.alerts.markSent(alert.flow, alert.streakStart, kind, notifier.channel);
      } catch (error) {
        this.deps.log('warn', `the ${alert.flow} sync ${kind} was not delivered by ${notifier.channel}; it is tried again later: ${scrub(describeError(error))}`);
      }
    }
  }
}

function failureReason(run: SyncRunRecord | undefined): string {
  if (!run) return 'no failed run was found';
  return run.summary.error ?? run.summary.verification?.reason ?? 'the run failed without a recorded reason';
}
