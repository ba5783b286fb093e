import type { FastifyInstance } from 'fastify';
import { currentReadiness, type ReadinessSources } from './current.js';
import { ReadinessResponse } from './schema.js';

export default async function readiness(app: FastifyInstance, opts: ReadinessSources): Promise<void> {
  app.get<{ Reply: ReadinessResponse }>(
    '/api/v1/readiness',
    { schema: { summary: 'Overall readiness verdict, score, every check and RPO per flow', tags: ['readiness'], response: { 200: ReadinessResponse } } },
    async () => currentReadiness(opts),
  );
}
