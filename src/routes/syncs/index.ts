/**
 * The sync runs: list, start (R1–R3 forward, R13.2 reverse) and follow with live progress.
 * Starting one writes to the standby: operators and above, audited. Writing back into AWS
 * (reverse) or letting deletes past the brakes (allowDeletes): tech-lead or cto. Forward runs
 * are refused (409) while the service is in contingency. Asked of a replica that does not lead,
 * a run is queued and the leader starts it within about a second, under the id answered.
 */
import type { FastifyInstance } from 'fastify';
import type { RoleName } from '../../core/roles.js';
import { ForbiddenError } from '../../core/errors.js';
import type { Store } from '../../store/types.js';
import { SYNC_FLOWS, type SyncFlow } from '../../core/flows.js';
import type { SyncService } from '../../sync/service.js';
import { FlowParam, ListQuery, RunSyncBody, RunSyncReply, SyncIdParam, SyncList, SyncRun } from './schema.js';

const LEADS: readonly RoleName[] = ['tech-lead', 'cto'];

export interface SyncRoutesOptions {
  syncs: SyncService;
  store: Store;
}

export default async function syncs(app: FastifyInstance, opts: SyncRoutesOptions): Promise<void> {
  app.get<{ Querystring: ListQuery }>(
    '/api/v1/syncs',
    { schema: { summary: 'Recent sync runs, newest first', tags: ['syncs'], querystring: ListQuery, response: { 200: SyncList } } },
    async (request) => ({ runs: await opts.store.syncs.list(request.query.limit, request.query.flow) }),
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
      const principal = request.principal!;
      const request_ = { reverse: body.reverse ?? false, since: body.since ? new Date(body.since) : undefined, allowDeletes: body.allowDeletes ?? false, by: principal.name };
      // Writes into production, and deletes past the brakes, are a lead's call.
      const needsLead = [...(request_.reverse ? ['a reverse sync writes into production on AWS'] : []), ...(request_.allowDeletes ? ['allowDeletes lets deletes past the safety brakes'] : [])];
      if (needsLead.length > 0 && !LEADS.some((role) => principal.roles.includes(role))) {
        throw new ForbiddenError(`${needsLead.join('; ')}: it needs the tech-lead or cto role; ${principal.name} holds ${principal.roles.join(', ')}`);
      }
      const flows: SyncFlow[] = flow === 'all' ? [...SYNC_FLOWS] : [flow];
      const ids = (await opts.syncs.startMany(flows, request_)).map((run) => run.id);
      await opts.store.audit.append({ actor: principal.name, action: 'sync.run', target: flow, details: { reverse: request_.reverse, since: body.since ?? null, allowDeletes: request_.allowDeletes, runs: ids } });
      return reply.code(202).send({ ids });
    },
  );

  app.get<{ Params: SyncIdParam }>(
    '/api/v1/syncs/:id',
    { schema: { summary: 'One sync run, with live progress while it runs', tags: ['syncs'], params: SyncIdParam, response: { 200: SyncRun } } },
    async (request) => opts.syncs.view(request.params.id),
  );
}
