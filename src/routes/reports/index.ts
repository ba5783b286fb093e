/**
 * Readiness reports (R5, R18): list, read in JSON, HTML or Markdown, and produce the
 * monthly one on demand, optionally e-mailed to the Tech Lead. Producing is audited. Reading
 * needs a token too: post-incident reports hold root causes and the run's timeline.
 */
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../core/errors.js';
import { produceMonthlyReport, type ProduceDeps } from '../../reporting/produce.js';
import { CONTENT_TYPES, renderStored } from '../../reporting/render.js';
import { CreateMonthlyBody, CreateMonthlyReply, FormatQuery, ListQuery, ReportIdParam, ReportList } from './schema.js';

export type ReportRoutesOptions = ProduceDeps;

export default async function reports(app: FastifyInstance, opts: ReportRoutesOptions): Promise<void> {
  app.get<{ Querystring: ListQuery }>(
    '/api/v1/reports',
    { config: { auth: true }, schema: { summary: 'Stored reports, newest first, without their bodies', tags: ['reports'], querystring: ListQuery, response: { 200: ReportList } } },
    async (request) => ({ reports: await opts.store.reports.list(request.query.limit, request.query.kind) }),
  );

  app.get<{ Params: ReportIdParam; Querystring: FormatQuery }>(
    '/api/v1/reports/:id',
    { config: { auth: true }, schema: { summary: 'One report: JSON (default), or ?format=html|md', tags: ['reports'], params: ReportIdParam, querystring: FormatQuery } },
    async (request, reply) => {
      const record = await opts.store.reports.get(request.params.id);
      if (!record) throw new NotFoundError(`report ${request.params.id} does not exist`);
      const { format } = request.query;
      const body = renderStored(record, format);
      if (format !== 'json') return reply.type(CONTENT_TYPES[format]).send(body);
      const { id, kind, period, createdAt } = record;
      return { id, kind, period, createdAt, report: JSON.parse(body) as unknown };
    },
  );

  app.post<{ Body: CreateMonthlyBody }>(
    '/api/v1/reports/monthly',
    {
      config: { roles: ['operator', 'sre', 'tech-lead', 'cto'] },
      schema: { summary: 'Produce the monthly readiness report now', tags: ['reports'], body: CreateMonthlyBody, response: { 201: CreateMonthlyReply } },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      const produced = await produceMonthlyReport(opts, { month: body.month, email: body.email ?? false });
      await opts.store.audit.append({
        actor: request.principal!.name,
        action: 'report.monthly',
        target: produced.id,
        details: { month: produced.report.month, emailedTo: produced.emailedTo },
      });
      return reply.code(201).send({ id: produced.id, month: produced.report.month, verdict: produced.report.verdict, emailedTo: produced.emailedTo });
    },
  );
}
