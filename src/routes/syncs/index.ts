/**
 * The sync runs: list, start (R1–R3 forward, R13.2 reverse) and follow with live progress.
 * Starting one writes to the standby (or back to AWS): operators and above, audited.
 */
import type { FastifyInstance } from 'fastify';
import type { Store, SyncFlow } from '../../store/types.js';
import { FLOWS, type SyncService } from '../../sync/service.js';
import { FlowParam, ListQuery, RunSyncBody, RunSyncReply, SyncIdParam, SyncList, SyncRun } from './schema.js';

export interface SyncRoutesOptions {
  syncs: SyncService;
  store: Store;
}

export default async function syncs(app: FastifyInstance, opts: SyncRoutesOptions): Promise<void> {
  app.get<{ Querystring: ListQuery }>(
    '/api/v1/syncs',
    { schema: { summary: 'Recent sync runs, newest first', tags: ['syncs'], querystring: ListQuery, response: { 200: SyncList } } },
    async (request) => ({ runs: opts.store.syncs.list(request.query.limit, request.query.flow) }),
  );

  app.post<{ Params: FlowParam; Body: RunSyncBody }>(
    '/api/v1/syncs/:flow/run',
    {
      config: { roles: ['operator', 'sre', 'tech-lead', 'cto'] },
      schema: { summary: 'Start a sync now', tags: ['syncs'], params: FlowParam, body: RunSyncBody, response: { 202: RunSyncReply } },
    },
    async (request, reply) => {
      const { flow } = request.params;
      const body = request.body ?? {};
      const request_ = { reverse: body.reverse ?? false, since: body.since ? new Date(body.since) : undefined };
      const flows: SyncFlow[] = flow === 'all' ? [...FLOWS] : [flow];
      opts.store.audit.append({ actor: request.principal!.name, action: 'sync.run', target: flow, details: { reverse: request_.reverse, since: body.since ?? null } });
      return reply.code(202).send({ ids: opts.syncs.startMany(flows, request_).map((run) => run.id) });
    },
  );

  app.get<{ Params: SyncIdParam }>(
    '/api/v1/syncs/:id',
    { schema: { summary: 'One sync run, with live progress while it runs', tags: ['syncs'], params: SyncIdParam, response: { 200: SyncRun } } },
    async (request) => opts.syncs.view(request.params.id),
  );
}
