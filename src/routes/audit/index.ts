/**
 * The audit log, read back: every API mutation, step act, approval and message, oldest first,
 * paged by sequence number. Readable by any valid token (it names people and decisions).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { Store } from '../../store/types.js';

const AuditQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  afterSeq: Type.Optional(Type.Integer({ minimum: 0, description: 'the last sequence number already read' })),
});
type AuditQuery = Static<typeof AuditQuery>;

const AuditPage = Type.Object({
  rows: Type.Array(
    Type.Object({
      seq: Type.Integer(),
      at: Type.String(),
      actor: Type.String(),
      action: Type.String(),
      target: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
      prevHash: Type.String(),
      hash: Type.String(),
    }),
  ),
  verified: Type.Object({ ok: Type.Boolean(), rows: Type.Integer(), firstBad: Type.Optional(Type.Object({ seq: Type.Integer(), reason: Type.String() })) }),
});

export default async function audit(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  app.get<{ Querystring: AuditQuery }>(
    '/api/v1/audit',
    { config: { auth: true }, schema: { summary: 'The hash-chained audit log, oldest first', tags: ['audit'], querystring: AuditQuery, response: { 200: AuditPage } } },
    async (request) => ({
      rows: opts.store.audit.list({ limit: request.query.limit, ...(request.query.afterSeq !== undefined ? { afterSeq: request.query.afterSeq } : {}) }),
      verified: opts.store.audit.verify(),
    }),
  );
}
