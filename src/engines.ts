/**
 * The engines — syncs, checks, runbooks, sync alerts, communications and the scheduled jobs —
 * wired from the config, the store and the adapters (adapters/index.ts), in this one place, for
 * the service and the one-shot commands alike. Each process wires what it runs, and releases it
 * with one `close()`: the engines first, then the adapters they use.
 */
import { adapterFactory, type AdapterFactory, type Adapters, type ControlPlane } from './adapters/index.js';
import { SyncAlerts } from './alerting/sync-alerts.js';
import { CheckRunner, checkJobs } from './checks/runner.js';
import { checkDeps, type CheckEntry } from './checks/suites.js';
import type { Config } from './config/schema.js';
import { systemClock } from './core/clock.js';
import type { Notifier } from './core/ports.js';
import { createMetrics, type Metrics } from './metrics/index.js';
import { postRollbackMarkdown } from './reporting/incident.js';
import { produceMonthlyReport } from './reporting/produce.js';
import { Communications } from './runbooks/communications.js';
import { RunbookService } from './runbooks/service.js';
import { Scheduler, configuredSchedules } from './scheduler/index.js';
import type { Store } from './store/types.js';
import { SyncService, type SyncServiceDeps } from './sync/service.js';

export type Log = (level: 'info' | 'warn' | 'error', msg: string, fields?: object) => void;

export interface WiringOptions {
  config: Config;
  env: NodeJS.ProcessEnv;
  store: Store;
}

/** What every wiring hands back: the metrics its engines feed, and how to release them. */
export interface Wired {
  metrics: Metrics;
  /** Stops the engines (runs under way end as interrupted), then releases the adapters. */
  close(): Promise<void>;
}

export interface ServiceOptions extends WiringOptions {
  log: Log;
  /** Whether this replica acts now (it leads, or is alone), and its check before each runbook act: ha/leadership.ts. */
  acting(): boolean;
  beforeAct(): Promise<void>;
}

export interface ServiceEngines extends Wired {
  syncs: SyncService;
  checks: CheckRunner;
  runbooks: RunbookService;
  comms: Communications;
  /** Who sends reports by e-mail: the team's e-mail channel, if any. */
  reportNotifiers: Notifier[];
  /** The scheduled jobs of one term of leadership, on a scheduler of their own. */
  schedule(): Scheduler;
}

/** `drsentinel sync`: the sync service alone, over the storage adapters. */
export function wireSyncs(o: WiringOptions & { log: Log }): Wired & { syncs: SyncService } {
  const adapters = adapterFactory(o.config, o.env);
  const metrics = createMetrics();
  const syncs = syncService(o, adapters.storage(), metrics);
  return { metrics, syncs, close: closing(adapters, [() => syncs.close()]) };
}

/** `drsentinel check`: the check runner over `registry` (default: every check of checks/suites.ts). */
export async function wireChecks(o: WiringOptions & { registry?: readonly CheckEntry[] }): Promise<Wired & { checks: CheckRunner }> {
  const adapters = adapterFactory(o.config, o.env);
  const metrics = createMetrics();
  const checks = checkRunner(o, adapters, await adapters.control(), metrics);
  return { metrics, checks, close: closing(adapters, [() => checks.close()]) };
}

/** `drsentinel serve`: every engine, on one set of adapters. */
export async function wireService(o: ServiceOptions): Promise<ServiceEngines> {
  const { config, store, log } = o;
  const adapters = adapterFactory(config, o.env);
  try {
    // A secret missing from the storage or the team's channels stops the start-up here.
    const storage = adapters.storage();
    const control = await adapters.control();
    const notifications = await adapters.notifications();
    const team = notifications.team();
    const metrics = createMetrics();
    const alerts = new SyncAlerts({
      store, notifiers: team, clock: systemClock, log,
      ...(config.aws.cloudwatch ? { metricSink: control.metricSink(), cloudwatch: config.aws.cloudwatch } : {}),
    });
    const syncs = syncService(o, storage, metrics, { onRunFinished: (flow) => alerts.afterRun(flow), acting: o.acting });
    const checks = checkRunner(o, adapters, control, metrics);
    const comms = new Communications(store, () => team, () => notifications.statusPage(), { fourEyes: config.activation.fourEyes });
    const runbooks = new RunbookService({
      deps: { config, store, adapters: storage, control, syncs, checks, resolvers: control.resolvers(), comms, clock: systemClock, postRollbackReport: postRollbackMarkdown },
      metrics, log, notifiers: () => team, acting: o.acting, beforeAct: o.beforeAct,
    });
    const reportNotifiers = notifications.email();
    const schedules = configuredSchedules(config);
    const monthlyReport = async (signal: AbortSignal) =>
      void (await produceMonthlyReport({ store, config, clock: systemClock, notifiers: reportNotifiers }, { email: config.notify.email !== undefined, signal }));
    return {
      metrics, syncs, checks, runbooks, comms, reportNotifiers,
      schedule() {
        const scheduler = new Scheduler({ jobs: store.jobs, clock: systemClock, log });
        scheduler.add({ name: 'sync', schedule: schedules.sync, run: async (signal) => void (await syncs.runAll({}, signal)) });
        for (const job of checkJobs(checks, config, monthlyReport)) scheduler.add(job);
        scheduler.add({ name: 'alerts:daily', schedule: schedules.alerts, run: async (signal) => void (await alerts.publishDaily(systemClock.now(), signal)) });
        return scheduler;
      },
      close: closing(adapters, [() => syncs.close(), () => checks.close(), () => runbooks.engine.close()]),
    };
  } catch (err) {
    adapters.close();
    throw err;
  }
}

function syncService(o: WiringOptions & { log: Log }, adapters: Adapters, metrics: Metrics, hooks: Pick<SyncServiceDeps, 'onRunFinished' | 'acting'> = {}): SyncService {
  return new SyncService({ config: o.config, store: o.store, log: o.log, adapters, metrics, clock: systemClock, ...hooks });
}

function checkRunner(o: WiringOptions & { log?: Log; registry?: readonly CheckEntry[] }, adapters: AdapterFactory, control: ControlPlane, metrics: Metrics): CheckRunner {
  return new CheckRunner({ config: o.config, store: o.store, metrics, clock: systemClock, deps: checkDeps(o.config, adapters, control), log: o.log, checks: o.registry });
}

/**
 * Stops the engines in the reverse order of their building, each whatever the others did, then
 * releases the adapters; throws what the engines threw.
 */
function closing(adapters: AdapterFactory, engines: Array<() => Promise<void>>): () => Promise<void> {
  return async () => {
    const failures: unknown[] = [];
    for (const close of [...engines].reverse()) await close().catch((err: unknown) => failures.push(err));
    adapters.close();
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) throw new AggregateError(failures, 'the engines did not all stop');
  };
}
