/**
 * Incident communications (R14–R16): post a message from a template (internal ones go out at
 * once; external ones wait for a CTO unless a CTO writes them), decide on held ones (a second
 * approval is a replay, a reject after the approval a conflict), send again one that failed or
 * was interrupted, list them.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import type { RoleName } from '../../core/roles.js';
import { MESSAGE_KINDS, type Communications } from '../../runbooks/communications.js';
import type { Store } from '../../store/types.js';

const MessageSchema = Type.Object({
  id: Type.String(),
  runId: Type.Optional(Type.String()),
  kind: Type.String(),
  audience: Type.String(),
  status: Type.String(),
  subject: Type.String(),
  body: Type.String(),
  createdBy: Type.String(),
  createdAt: Type.String(),
  decidedBy: Type.Optional(Type.String()),
  sentAt: Type.Optional(Type.String()),
  channels: Type.Array(Type.String()),
  error: Type.Optional(Type.String()),
});

const PostBody = Type.Object(
  {
    kind: Type.Union(MESSAGE_KINDS.map((k) => Type.Literal(k))),
    text: Type.Optional(Type.String({ maxLength: 5000, description: 'what the author adds to the template' })),
    runId: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
type PostBody = Static<typeof PostBody>;

const DecisionBody = Type.Object({ decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]) }, { additionalProperties: false });
type DecisionBody = Static<typeof DecisionBody>;

const IdParam = Type.Object({ id: Type.String() });
type IdParam = Static<typeof IdParam>;

/** Who writes messages, and so who may send one again. */
const POSTERS: RoleName[] = ['sre', 'tech-lead', 'cto', 'product-manager'];

export default async function messages(app: FastifyInstance, opts: { comms: Communications; store: Store }): Promise<void> {
  app.get(
    '/api/v1/messages',
    { config: { auth: true }, schema: { summary: 'Incident messages, newest first', tags: ['communications'], response: { 200: Type.Object({ messages: Type.Array(MessageSchema) }) } } },
    async () => ({ messages: await opts.store.messages.list(200) }),
  );

  app.post<{ Body: PostBody }>(
    '/api/v1/messages',
    {
      config: { roles: POSTERS },
      schema: { summary: 'Post a message from a template (external ones wait for a CTO)', tags: ['communications'], body: PostBody, response: { 201: MessageSchema } },
    },
    async (request, reply) => {
      const { kind, text, runId } = request.body;
      const record = await opts.comms.post(kind, { ...(text ? { text } : {}), ...(runId ? { runId } : {}) }, request.principal!);
      return reply.code(201).send(record);
    },
  );

  app.post<{ Params: IdParam; Body: DecisionBody }>(
    '/api/v1/messages/:id/approval',
    { config: { auth: true }, schema: { summary: 'A CTO approves (sends) or rejects a held external message', tags: ['communications'], params: IdParam, body: DecisionBody, response: { 200: MessageSchema } } },
    async (request) => opts.comms.decide(request.params.id, request.body.decision, request.principal!),
  );

  app.post<{ Params: IdParam }>(
    '/api/v1/messages/:id/retry',
    {
      config: { roles: POSTERS },
      schema: {
        summary: 'Send again a message that reached no channel, or whose delivery a restart interrupted (external ones: a CTO)',
        tags: ['communications'],
        params: IdParam,
        response: { 200: MessageSchema },
      },
    },
    async (request) => opts.comms.retry(request.params.id, request.principal!),
  );
}
