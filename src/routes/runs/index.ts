/**
 * The runbooks over HTTP: start an activation, a rollback or a drill (202 + id), follow a run,
 * decide at its gates, abort it. Starting and aborting need the roles of the runbook (R6,
 * R13); a gate's decision needs the gate's own role, checked by the engine.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RunbookEngine } from '../../runbooks/engine.js';
import type { RunStarter } from '../../runbooks/starter.js';
import { ACTIVATION_END_STEP } from '../../checks/rto.js';
import { postIncidentReport } from '../../reporting/incident.js';
import { renderPostIncident } from '../../../reports/post-incident.js';
import type { Clock } from '../../core/clock.js';
import type { Store } from '../../store/types.js';
import {
  AbortBody, ActivationBody, ApprovalBody, ApprovalReply, DrillBody, PostIncidentBody, PostIncidentReply, RollbackBody, RunIdParam, RunList, RunSchema, StartedReply,
} from './schema.js';

export interface RunRoutesOptions {
  engine: RunbookEngine;
  starter: RunStarter;
  store: Store;
  clock: Clock;
}

const LEADS = ['tech-lead', 'cto'] as const;

export default async function runs(app: FastifyInstance, opts: RunRoutesOptions): Promise<void> {
  // Every route here needs a token (a POST, or `auth: true`), so the guard has set the principal.
  const caller = (request: FastifyRequest) => request.principal!;

  app.post<{ Body: ActivationBody }>(
    '/api/v1/activations',
    { config: { roles: [...LEADS] }, schema: { summary: 'Start the activation (failover) runbook, R6–R12', tags: ['runs'], body: ActivationBody, response: { 202: StartedReply } } },
    async (request, reply) => {
      const { scenario, reason, dryRun, overrideRpo } = request.body;
      const run = await opts.starter.activate({ scenario, reason, dryRun: dryRun ?? false, ...(overrideRpo ? { overrideRpo } : {}) }, caller(request));
      return reply.code(202).send({ id: run.id });
    },
  );

  app.post<{ Body: RollbackBody }>(
    '/api/v1/rollbacks',
    { config: { roles: [...LEADS] }, schema: { summary: 'Start the rollback runbook, R13 (a CTO approves before anything changes)', tags: ['runs'], body: RollbackBody, response: { 202: StartedReply } } },
    async (request, reply) => {
      const { reason, dryRun, since } = request.body;
      const run = await opts.starter.rollback({ reason, dryRun: dryRun ?? false, ...(since ? { since: new Date(since) } : {}) }, caller(request));
      return reply.code(202).send({ id: run.id });
    },
  );

  app.post<{ Body: DrillBody }>(
    '/api/v1/drills',
    { config: { roles: ['sre', ...LEADS] }, schema: { summary: 'Start a drill: dry-run, or game-day (activation, validation and rollback for real)', tags: ['runs'], body: DrillBody, response: { 202: StartedReply } } },
    async (request, reply) => reply.code(202).send({ id: (await opts.starter.drill(request.body.mode, caller(request))).id }),
  );

  app.get(
    '/api/v1/runs',
    { config: { auth: true }, schema: { summary: 'Recent runbook runs, newest first', tags: ['runs'], response: { 200: RunList } } },
    async () => ({ runs: await opts.engine.list(50) }),
  );

  app.get<{ Params: RunIdParam }>(
    '/api/v1/runs/:id',
    { config: { auth: true }, schema: { summary: 'One run: its steps with their results, and its gates', tags: ['runs'], params: RunIdParam, response: { 200: RunSchema } } },
    async (request) => opts.engine.view(request.params.id),
  );

  app.post<{ Params: RunIdParam; Body: ApprovalBody }>(
    '/api/v1/runs/:id/approvals',
    { config: { auth: true }, schema: { summary: 'Decide at a gate (needs the gate\'s role)', tags: ['runs'], params: RunIdParam, body: ApprovalBody, response: { 200: ApprovalReply } } },
    async (request) => {
      const { gate, decision, reason } = request.body;
      const { view, replayed } = await opts.engine.decide(request.params.id, { gate, decision, reason, by: caller(request) });
      return { replayed, run: view };
    },
  );

  app.post<{ Params: RunIdParam; Body: AbortBody }>(
    '/api/v1/runs/:id/abort',
    { config: { roles: [...LEADS] }, schema: { summary: 'Abort a run between steps; with undo, put back what it changed', tags: ['runs'], params: RunIdParam, body: AbortBody, response: { 200: RunSchema } } },
    async (request) => opts.engine.abort(request.params.id, { by: request.principal!.name, reason: request.body.reason, undo: request.body.undo ?? false }),
  );

  app.put<{ Params: RunIdParam; Body: PostIncidentBody }>(
    '/api/v1/runs/:id/post-incident',
    {
      config: { roles: [...LEADS] },
      schema: { summary: 'Write the post-incident report of a run (R16): root cause and corrective actions; the timeline and the real RTO come from the run', tags: ['runs'], params: RunIdParam, body: PostIncidentBody, response: { 201: PostIncidentReply } },
    },
    async (request, reply) => {
      const run = await opts.engine.view(request.params.id);
      const report = postIncidentReport(run, await opts.store.messages.forRun(run.id), request.body, ACTIVATION_END_STEP, opts.clock.now());
      const saved = await opts.store.reports.save({ kind: 'post-incident', period: run.id, format: 'md', body: renderPostIncident(report).text });
      await opts.store.audit.append({ actor: request.principal!.name, action: 'report.post-incident', target: run.id, details: { report: saved.id } });
      return reply.code(201).send({ reportId: saved.id, rtoSeconds: report.rtoSeconds, dueBy: report.dueBy, late: report.late });
    },
  );
}
