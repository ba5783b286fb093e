/**
 * Runs the checks of a suite side by side (bounded), each under `checks.timeoutSeconds`, and
 * sends every Result one way: stored (history, pruned to `checks.historySize` per check, every
 * failure kept with its evidence), projected to the dr_check_* gauges and to the certificate /
 * DNS gauges their measurements feed, then the readiness verdict recomputed from the store.
 *
 * One run per suite at a time: asking for a suite that is already running joins that run and
 * gets its summary (the scheduler and an operator asking at once do not run the checks twice).
 */
import type { Config } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { DomainError } from '../core/errors.js';
import { describeError, fail, runCheck, type Check, type Result, type Status } from '../core/result.js';
import type { Metrics } from '../metrics/index.js';
import { configuredSchedules, type Job } from '../scheduler/index.js';
import type { Store } from '../store/types.js';
import { currentReadiness } from './current-readiness.js';
import { MONTHLY_SUITE, PROBE_SUITES, SUITES, type Suite } from './suite-names.js';
import { CHECKS, entriesOf, type CheckDeps, type CheckEntry } from './suites.js';

export interface CheckRun {
  check: string;
  title: string;
  result: Result;
}

export interface SuiteSummary {
  suite: Suite;
  /** fail if any check failed; warn if any warned or was skipped; skip when the suite has no check. */
  status: Status;
  startedAt: string;
  durationMs: number;
  results: CheckRun[];
}

export interface CheckRunnerOptions {
  config: Config;
  store: Store;
  metrics: Metrics;
  clock: Clock;
  deps: CheckDeps & { close(): void };
  /** The registry (default CHECKS); tests pass their own. */
  checks?: readonly CheckEntry[];
  /** Checks of one suite in flight at once (default 8). */
  concurrency?: number;
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

const DEFAULT_CONCURRENCY = 8;

/** Maps with at most `limit` calls in flight; results in input order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A check whose entry could not be built (typically a missing config section): it fails saying why. */
function unbuildable(entry: CheckEntry, err: unknown): Check {
  const why = err instanceof DomainError ? err.message : describeError(err);
  return { id: entry.id, title: entry.title, run: async () => fail(`${entry.id} cannot run: ${why}`, { error: why }) };
}

export function suiteStatus(results: readonly CheckRun[]): Status {
  if (results.length === 0) return 'skip';
  if (results.some((r) => r.result.status === 'fail')) return 'fail';
  if (results.some((r) => r.result.status !== 'pass')) return 'warn';
  return 'pass';
}

export class CheckRunner {
  /** Runs going on, by suite; a dry-run's unrecorded run of a suite under `suite:unrecorded`. */
  private readonly running = new Map<string, Promise<SuiteSummary>>();
  private readonly aborter = new AbortController();
  private readonly checks: readonly CheckEntry[];

  constructor(private readonly opts: CheckRunnerOptions) {
    this.checks = opts.checks ?? CHECKS;
  }

  /** The ids of a suite's checks, in registry order. */
  checkIds(suite: Suite): string[] {
    return entriesOf(suite, this.checks).map((e) => e.id);
  }

  isRunning(suite: Suite): boolean {
    return this.running.has(suite);
  }

  /**
   * Runs the suite, or joins its run already going. `signal` stops a run this call starts (its
   * checks fail as aborted); a joining caller cannot stop the others' run. `record: false`
   * (a dry-run's look at the standby) leaves the history, the metrics and so the readiness as
   * they were: smoke and complementary checks fail on a standby by its nature, and such a
   * result would stand until the next activation.
   */
  run(suite: Suite, signal?: AbortSignal, opts: { record?: boolean } = {}): Promise<SuiteSummary> {
    const record = opts.record ?? true;
    const key = record ? suite : `${suite}:unrecorded`;
    // A look that records nothing may join a recorded run of the suite; never the other way.
    const going = this.running.get(key) ?? (record ? undefined : this.running.get(suite));
    if (going) return going;
    const stop = signal ? AbortSignal.any([this.aborter.signal, signal]) : this.aborter.signal;
    // runCheck's timeout (AbortSignal.timeout) does not hold the process open: a check waiting
    // on nothing else would let a CLI run exit before its timeout says why.
    const keepAlive = setInterval(() => {}, 60_000);
    const run = this.execute(suite, stop, record).finally(() => {
      clearInterval(keepAlive);
      this.running.delete(key);
    });
    this.running.set(key, run);
    return run;
  }

  /** `all`: every suite, one after the other (each suite's checks in parallel). */
  async runMany(which: Suite | 'all', signal?: AbortSignal): Promise<SuiteSummary[]> {
    const suites = which === 'all' ? SUITES : [which];
    const summaries: SuiteSummary[] = [];
    for (const suite of suites) summaries.push(await this.run(suite, signal));
    return summaries;
  }

  /** Stops running checks (they fail as aborted), waits for them, releases what the checks built. */
  async close(): Promise<void> {
    this.aborter.abort(new Error('the service is shutting down'));
    await Promise.allSettled([...this.running.values()]);
    this.opts.deps.close();
  }

  private async execute(suite: Suite, signal: AbortSignal, record: boolean): Promise<SuiteSummary> {
    const { config, clock, store, metrics, log } = this.opts;
    const started = Date.now();
    const startedAt = clock.now().toISOString();
    const timeoutMs = config.checks.timeoutSeconds * 1000;
    const entries = entriesOf(suite, this.checks);
    const results = await mapBounded(entries, this.opts.concurrency ?? DEFAULT_CONCURRENCY, async (entry): Promise<CheckRun> => {
      let check: Check;
      try {
        check = entry.build(this.opts.deps);
      } catch (err) {
        check = unbuildable(entry, err);
      }
      // The largest pool a check runs is the sync's checkers (mirror and sample verification).
      const result = await runCheck(check, { now: () => clock.now(), signal }, timeoutMs, config.sync.checkers);
      if (record) {
        await store.checks.record(suite, entry.id, result);
        metrics.projectCheck(suite, entry.id, result);
        this.projectMeasurements(entry.id, result);
      }
      if (result.status !== 'pass') log?.('warn', `check ${suite}/${entry.id} ${result.status}: ${result.reason}`, { suite, check: entry.id });
      return { check: entry.id, title: check.title, result };
    });
    if (record) {
      await store.checks.prune(config.checks.historySize);
      metrics.projectReadiness(await currentReadiness({ config, store, clock }));
    }
    const summary: SuiteSummary = { suite, status: suiteStatus(results), startedAt, durationMs: Date.now() - started, results };
    log?.('info', `suite ${suite}: ${summary.status} (${results.length} checks)`, { suite, status: summary.status });
    return summary;
  }

  /**
   * The certificate check's `expiresAt` (Unix seconds) feeds dr_tls_certificate_expiry_timestamp_seconds,
   * labelled by the evidence's `certificate` name; any check whose evidence names a DNS `name`
   * and counts `agreeing` resolvers feeds dr_dns_resolvers_agreeing.
   */
  private projectMeasurements(checkId: string, result: Result): void {
    const { metrics, config } = this.opts;
    const { evidence, measurements } = result;
    if (checkId === 'certificate' && typeof measurements.expiresAt === 'number') {
      const certificate = typeof evidence.certificate === 'string' ? evidence.certificate : (config.azure.keyVault?.certificate ?? checkId);
      metrics.tlsCertificateExpiryTimestampSeconds.set({ certificate }, measurements.expiresAt);
    }
    if (typeof evidence.name === 'string' && typeof measurements.agreeing === 'number') {
      metrics.dnsResolversAgreeing.set({ name: evidence.name }, measurements.agreeing);
    }
  }
}

/** The scheduled runs: the standby probes every `checks.probeEveryMinutes`, the monthly suite on the first Monday. */
/** `afterMonthly`: what follows the monthly validation in the same job (its report, R5). */
export function checkJobs(runner: CheckRunner, config: Config, afterMonthly?: (signal: AbortSignal) => Promise<void>): Job[] {
  const schedules = configuredSchedules(config);
  return [
    ...PROBE_SUITES.map((suite): Job => ({ name: `checks:${suite}`, schedule: schedules.probes, run: async (signal) => void (await runner.run(suite, signal)) })),
    {
      name: `checks:${MONTHLY_SUITE}`,
      schedule: schedules.monthly,
      run: async (signal) => {
        await runner.run(MONTHLY_SUITE, signal);
        await afterMonthly?.(signal);
      },
    },
  ];
}
