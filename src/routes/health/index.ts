import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../core/clock.js';
import type { ReplicaRole } from '../../ha/leadership.js';
import { VERSION } from '../../core/version.js';
import { HealthResponse } from './schema.js';

export interface HealthSources {
  clock: Clock;
  store: { engine: 'sqlite' | 'postgres' };
  /** This replica's part; absent: a process alone on its store. */
  role?: () => ReplicaRole;
}

export default async function health(app: FastifyInstance, opts: HealthSources): Promise<void> {
  const startedAt = opts.clock.now().getTime();
  app.get<{ Reply: HealthResponse }>(
    '/health',
    { schema: { summary: 'Liveness, and whether this replica leads', tags: ['service'], response: { 200: HealthResponse } } },
    async () => ({
      status: 'ok',
      role: opts.role?.() ?? 'single',
      store: opts.store.engine,
      version: VERSION,
      uptimeSeconds: Math.max(0, (opts.clock.now().getTime() - startedAt) / 1000),
    }),
  );
}
