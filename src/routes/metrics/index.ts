/**
 * GET /metrics. Before each scrape the stored state is projected onto the gauges (latest
 * check results, sync streaks, readiness and RPO, which change with time alone); the
 * engines also project as they record, so either way the store is the source of truth.
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../metrics/index.js';
import { SYNC_FLOWS } from '../../core/flows.js';
import type { ReplicaRole } from '../../ha/leadership.js';
import { currentReadiness, type ReadinessSources } from '../../checks/current-readiness.js';

export async function projectStoredState(metrics: Metrics, sources: ReadinessSources): Promise<void> {
  const { store } = sources;
  for (const { suite, check, result } of await store.checks.latest()) metrics.projectCheck(suite, check, result);
  for (const flow of SYNC_FLOWS) {
    const last = await store.syncs.lastSuccess(flow);
    const finishedAt = last?.finishedAt;
    if (finishedAt) metrics.syncLastSuccessTimestampSeconds.set({ flow }, Date.parse(finishedAt) / 1000);
    metrics.syncConsecutiveFailures.set({ flow }, await store.syncs.consecutiveFailures(flow));
  }
  metrics.projectReadiness(await currentReadiness(sources));
}

export default async function metricsRoute(app: FastifyInstance, opts: ReadinessSources & { metrics: Metrics; role?: () => ReplicaRole }): Promise<void> {
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics: process metrics and every dr_* family',
        tags: ['service'],
        produces: ['text/plain'],
        response: { 200: { type: 'string', description: 'Prometheus text exposition format' } },
      },
    },
    async (_request, reply) => {
      // A store that does not answer is itself the news: the rest is exported as last known.
      const storeUp = await opts.store.ping().then(() => true, () => false);
      opts.metrics.storeUp.set(storeUp ? 1 : 0);
      opts.metrics.leader.set((opts.role?.() ?? 'single') === 'follower' ? 0 : 1);
      if (storeUp) await projectStoredState(opts.metrics, opts);
      return reply.type(opts.metrics.registry.contentType).send(await opts.metrics.text());
    },
  );
}
