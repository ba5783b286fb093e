/**
 * Runs jobs on their schedules: one timer sleeping until the nearest due job, the due times
 * coming from the pure rules in scheduler/calendar.ts (node-cron cannot express "first Monday"
 * and its ticks cannot be driven by a test clock). A job never overlaps itself; a run missed
 * while the service was down runs once at start; every start is recorded in the store.
 */
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, NotFoundError } from '../core/errors.js';
import { describeError } from '../core/result.js';
import { describeSchedule, nextRun, previousRun, type Schedule } from './calendar.js';
import type { Store } from '../store/types.js';

export { describeSchedule, nextRun, previousRun, type Schedule } from './calendar.js';

export interface Job {
  name: string;
  schedule: Schedule;
  run(signal: AbortSignal): Promise<void>;
}

export type SchedulerLog = (level: 'info' | 'warn' | 'error', msg: string, fields?: object) => void;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SchedulerOptions {
  jobs: Store['jobs'];
  clock: Clock;
  log: SchedulerLog;
  /** Tests drive time through these; the default is the real timers. */
  timers?: Timers;
}

/** Node timers overflow past ~24.8 days and clocks drift: sleep at most this long, then look again. */
const MAX_SLEEP_MS = 6 * 3_600_000;

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Entry {
  job: Job;
  next?: Date;
  active?: { controller: AbortController; done: Promise<void> };
}

/** The schedules the runbook asks for, from config. */
/** The R4 daily publication covers the last complete UTC day, so it runs just after midnight. */
const ALERTS_DAILY_AT = '00:10';

export function configuredSchedules(config: Config): { sync: Schedule; monthly: Schedule; probes: Schedule; alerts: Schedule } {
  return {
    sync: { kind: 'daily', at: config.sync.dailyAt },
    alerts: { kind: 'daily', at: ALERTS_DAILY_AT },
    monthly: { kind: 'first-monday', at: config.checks.monthlyAt },
    probes: { kind: 'every', minutes: config.checks.probeEveryMinutes },
  };
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly timers: Timers;
  private timer: unknown;
  private started = false;
  private stopped = false;

  constructor(private readonly opts: SchedulerOptions) {
    this.timers = opts.timers ?? realTimers;
  }

  add(job: Job): void {
    if (this.entries.has(job.name)) throw new ConflictError(`a job named ${job.name} is already scheduled`);
    const now = this.opts.clock.now();
    const entry: Entry = { job, next: nextRun(job.schedule, now) };
    this.entries.set(job.name, entry);
    if (this.started && !this.stopped) this.arm();
  }

  /** Resolves once missed runs are caught up (launched, not ended) and the timer is armed. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const now = this.opts.clock.now();
    // The jobs known now: one added while the store answers is armed by `add`, with no catch-up, as after a start.
    for (const entry of [...this.entries.values()]) {
      await this.catchUp(entry, now);
      entry.next = nextRun(entry.job.schedule, now);
      this.opts.log('info', `job ${entry.job.name} scheduled ${describeSchedule(entry.job.schedule)}`, { job: entry.job.name, next: entry.next.toISOString() });
    }
    this.arm();
  }

  /** Aborts running jobs and resolves once every one of them has returned. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const active = [...this.entries.values()].flatMap((e) => (e.active ? [e.active] : []));
    for (const a of active) a.controller.abort(new Error('the scheduler is stopping'));
    await Promise.all(active.map((a) => a.done));
  }

  running(name: string): boolean {
    return this.entries.get(name)?.active !== undefined;
  }

  async trigger(name: string): Promise<'started' | 'already-running'> {
    const entry = this.entries.get(name);
    if (!entry) throw new NotFoundError(`no scheduled job is named ${name}`);
    if (this.stopped) throw new ConflictError('the scheduler is stopping');
    if (entry.active) return 'already-running';
    this.launch(entry, this.opts.clock.now(), 'triggered');
    return 'started';
  }

  /**
   * A job never started before is not caught up: its first start only records the time, so
   * installing drsentinel does not fire every job at once. After that, a due time passed
   * since the last recorded start means a run was missed: it runs once, now.
   */
  private async catchUp(entry: Entry, now: Date): Promise<void> {
    const { name, schedule } = entry.job;
    const last = await this.opts.jobs.lastRun(name);
    if (!last) {
      await this.opts.jobs.recordRun(name, now);
      return;
    }
    const due = previousRun(schedule, now);
    // Stopped, or started by hand, while the store answered: nothing to catch up.
    if (this.stopped || entry.active) return;
    if (due && due > last) this.launch(entry, now, `catch-up of the run due at ${due.toISOString()}`);
  }

  private arm(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    const times = [...this.entries.values()].flatMap((e) => (e.next ? [e.next.getTime()] : []));
    if (times.length === 0) return;
    const delay = Math.min(Math.max(Math.min(...times) - this.opts.clock.now().getTime(), 0), MAX_SLEEP_MS);
    this.timer = this.timers.setTimeout(() => this.tick(), delay);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const now = this.opts.clock.now();
    for (const entry of this.entries.values()) {
      if (!entry.next || entry.next > now) continue;
      if (entry.active) {
        this.opts.log('warn', `job ${entry.job.name} skipped: its previous run is still going`, { job: entry.job.name, due: entry.next.toISOString() });
      } else {
        this.launch(entry, now, 'scheduled');
      }
      entry.next = nextRun(entry.job.schedule, now);
    }
    this.arm();
  }

  /** Marks the job active at once (no overlap), then records its start before it runs: a crash after it is not caught up twice. */
  private launch(entry: Entry, now: Date, why: string): void {
    const { name } = entry.job;
    const controller = new AbortController();
    const started = this.opts.clock.now().getTime();
    this.opts.log('info', `job ${name} started (${why})`, { job: name });
    const done = this.recordStart(name, now)
      .then(() => entry.job.run(controller.signal))
      .then(
        () => this.opts.log('info', `job ${name} finished`, { job: name, durationMs: this.opts.clock.now().getTime() - started }),
        (err: unknown) => this.opts.log('error', `job ${name} failed: ${describeError(err)}`, { job: name, durationMs: this.opts.clock.now().getTime() - started }),
      )
      .finally(() => {
        if (entry.active?.done === done) entry.active = undefined;
      });
    entry.active = { controller, done };
  }

  /** A start that could not be recorded is logged, and the job runs anyway: a missed run costs more than a repeated catch-up. */
  private async recordStart(name: string, now: Date): Promise<void> {
    try {
      await this.opts.jobs.recordRun(name, now);
    } catch (err) {
      this.opts.log('error', `job ${name}: its start could not be recorded: ${describeError(err)}`, { job: name });
    }
  }
}
