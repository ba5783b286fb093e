/**
 * The Fastify application, built from named plugins: error mapping, the auth guard, the
 * OpenAPI document, then one plugin per resource.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Clock } from './core/clock.js';
import type { Config } from './config/schema.js';
import type { Notifier } from './core/ports.js';
import type { Metrics } from './metrics/index.js';
import type { Store } from './store/types.js';
import type { ReplicaRole } from './ha/leadership.js';
import { REDACTED_PATHS } from './log.js';
import auth from './routes/auth.js';
import docs from './routes/docs.js';
import errors from './routes/errors.js';
import health from './routes/health/index.js';
import metricsRoute from './routes/metrics/index.js';
import readiness from './routes/readiness/index.js';
import reportRoutes from './routes/reports/index.js';
import syncRoutes from './routes/syncs/index.js';
import checkRoutes from './routes/checks/index.js';
import type { CheckRunner } from './checks/runner.js';
import type { SyncService } from './sync/service.js';
import auditRoutes from './routes/audit/index.js';
import messageRoutes from './routes/messages/index.js';
import runRoutes from './routes/runs/index.js';
import type { RunbookService } from './runbooks/service.js';
import type { Communications } from './runbooks/communications.js';

export interface AppDeps {
  config: Config;
  store: Store;
  metrics: Metrics;
  clock: Clock;
  /** The sync runner; its routes exist only where the service can reach the clouds. */
  syncs?: SyncService;
  /** The check runner; like the syncs, only where the service can reach the clouds. */
  checks?: CheckRunner;
  /** The runbooks (activation, rollback, drills); like the syncs, only where the clouds are reachable. */
  runbooks?: RunbookService;
  /** Incident communications (R14–R16). */
  comms?: Communications;
  /** Who delivers reports by e-mail (the e-mail notifier); none: reports cannot be e-mailed. */
  notifiers?: Notifier[];
  /** This replica's part among several (ha/leadership.ts); absent: alone on its store. */
  role?: () => ReplicaRole;
  /** Fastify's logger option: false (default, for tests), true, or pino options. */
  logger?: FastifyServerOptions['logger'];
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger === true ? { redact: { paths: REDACTED_PATHS, censor: '[redacted]' } } : (deps.logger ?? false),
  });
  const sources = { config: deps.config, store: deps.store, clock: deps.clock };

  await app.register(errors);
  await app.register(auth, { tokens: deps.config.auth.tokens });
  await app.register(docs);
  await app.register(health, { clock: deps.clock, store: deps.store, ...(deps.role ? { role: deps.role } : {}) });
  await app.register(metricsRoute, { ...sources, metrics: deps.metrics, ...(deps.role ? { role: deps.role } : {}) });
  await app.register(readiness, sources);
  if (deps.syncs) await app.register(syncRoutes, { syncs: deps.syncs, store: deps.store });
  if (deps.checks) await app.register(checkRoutes, { runner: deps.checks, store: deps.store });
  await app.register(reportRoutes, { ...sources, notifiers: deps.notifiers ?? [] });
  await app.register(auditRoutes, { store: deps.store });
  if (deps.runbooks) await app.register(runRoutes, { engine: deps.runbooks.engine, starter: deps.runbooks, store: deps.store, clock: deps.clock });
  if (deps.comms) await app.register(messageRoutes, { comms: deps.comms, store: deps.store });
  return app;
}
