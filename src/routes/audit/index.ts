/**
 * The audit log, read back: every API mutation, step act, approval and message, oldest first,
 * paged by sequence number. Readable by any valid token (it names people and decisions).
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { incrementalVerifier } from '../../store/audit.js';
import type { Store } from '../../store/types.js';

const AuditQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  afterSeq: Type.Optional(Type.Integer({ minimum: 0, description: 'the last sequence number already read' })),
  verify: Type.Boolean({
    default: false,
    description: 're-hash the whole chain from its first row (like `drsentinel audit verify`) instead of only the rows appended since the last verification',
  }),
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
  verified: Type.Object(
    {
      ok: Type.Boolean(),
      rows: Type.Integer({ description: 'rows in the log' }),
      firstBad: Type.Optional(Type.Object({ seq: Type.Integer(), reason: Type.String() })),
    },
    {
      description:
        'The chain verdict. Incremental unless ?verify=true: the service remembers where it last verified the chain, re-hashes only the rows appended since ' +
        'and checks that the remembered last row still stands; an edit to an older row shows only with ?verify=true (or `drsentinel audit verify`), ' +
        'which re-hash every row. A break found either way is reported from a full re-hash, naming the first bad row.',
    },
  ),
});

export default async function audit(app: FastifyInstance, opts: { store: Store }): Promise<void> {
  // Remembers where this store's chain was last verified, for as long as the service runs.
  const verifyNewRows = incrementalVerifier(opts.store.audit);

  app.get<{ Querystring: AuditQuery }>(
    '/api/v1/audit',
    { config: { auth: true }, schema: { summary: 'The hash-chained audit log, oldest first', tags: ['audit'], querystring: AuditQuery, response: { 200: AuditPage } } },
    async (request) => {
      const { limit, afterSeq, verify } = request.query;
      return {
        rows: await opts.store.audit.list({ limit, ...(afterSeq !== undefined ? { afterSeq } : {}) }),
        verified: await (verify ? opts.store.audit.verify() : verifyNewRows()),
      };
    },
  );
}
