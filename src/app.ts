/**
 * The Fastify application, built from named plugins: error mapping, the auth guard, the
 * OpenAPI document, then one plugin per resource. Later resources (checks, syncs, reports,
 * runs, audit) are registered here as they land.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Clock } from './core/clock.js';
import type { Config } from './config/schema.js';
import type { Metrics } from './metrics.js';
import type { Store } from './store/types.js';
import { REDACTED_PATHS } from './log.js';
import auth from './routes/auth.js';
import docs from './routes/docs.js';
import errors from './routes/errors.js';
import health from './routes/health/index.js';
import metricsRoute from './routes/metrics/index.js';
import readiness from './routes/readiness/index.js';
import syncRoutes from './routes/syncs/index.js';
import type { SyncService } from './sync/service.js';

export interface AppDeps {
  config: Config;
  store: Store;
  metrics: Metrics;
  clock: Clock;
  /** The sync runner; its routes exist only where the service can reach the clouds. */
  syncs?: SyncService;
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
  await app.register(health, { clock: deps.clock });
  await app.register(metricsRoute, { ...sources, metrics: deps.metrics });
  await app.register(readiness, sources);
  if (deps.syncs) await app.register(syncRoutes, { syncs: deps.syncs, store: deps.store });
  return app;
}
