import type { FastifyInstance } from 'fastify';
import { StoreUnavailableError } from '../../core/errors.js';
import { describeError } from '../../core/result.js';
import { currentReadiness, type ReadinessSources } from '../../checks/current-readiness.js';
import { ReadinessResponse } from './schema.js';

export default async function readiness(app: FastifyInstance, opts: ReadinessSources): Promise<void> {
  app.get<{ Reply: ReadinessResponse }>(
    '/api/v1/readiness',
    { schema: { summary: 'Overall readiness verdict, score, every check and RPO per flow', tags: ['readiness'], response: { 200: ReadinessResponse } } },
    async () => {
      try {
        return await currentReadiness(opts);
      } catch (err) {
        // Unreachable store: no replica acts (fencing), and nothing can be judged ready.
        const down = await opts.store.ping().then(() => undefined, (e: unknown) => e);
        if (down) throw new StoreUnavailableError(`the store does not answer (${describeError(down)}): readiness cannot be judged, and no replica acts until it answers again`);
        throw err;
      }
    },
  );
}
