import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../core/clock.js';
import { VERSION } from '../../version.js';
import { HealthResponse } from './schema.js';

export default async function health(app: FastifyInstance, opts: { clock: Clock }): Promise<void> {
  const startedAt = opts.clock.now().getTime();
  app.get<{ Reply: HealthResponse }>(
    '/health',
    { schema: { summary: 'Liveness', tags: ['service'], response: { 200: HealthResponse } } },
    async () => ({ status: 'ok', version: VERSION, uptimeSeconds: Math.max(0, (opts.clock.now().getTime() - startedAt) / 1000) }),
  );
}
