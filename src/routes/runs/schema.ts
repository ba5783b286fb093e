import { Type, type Static } from '@sinclair/typebox';

const Reason = Type.String({ minLength: 3, maxLength: 2000, description: 'why, in words the audit log and the announcement will carry' });

export const ActivationBody = Type.Object(
  {
    scenario: Type.String({ minLength: 3, maxLength: 500, description: 'the failure scenario, e.g. "AWS us-east-1 S3 and DynamoDB unavailable"' }),
    reason: Reason,
    confirm: Type.Literal(true, { description: 'must be true: activation moves production to Azure' }),
    dryRun: Type.Optional(Type.Boolean({ description: 'read and verify everything, change nothing' })),
    overrideRpo: Type.Optional(Type.String({ minLength: 3, description: 'CTO only: start although the last verified sync is older than the RPO, and why' })),
  },
  { additionalProperties: false },
);
export type ActivationBody = Static<typeof ActivationBody>;

export const RollbackBody = Type.Object(
  {
    reason: Reason,
    dryRun: Type.Optional(Type.Boolean()),
    /** When the failover happened: the reverse metadata delta starts there (default: the last activation's start). */
    since: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
export type RollbackBody = Static<typeof RollbackBody>;

export const DrillBody = Type.Object(
  { mode: Type.Union([Type.Literal('dry-run'), Type.Literal('game-day')], { description: 'dry-run: the whole activation without acting; game-day: activation, validation and rollback for real' }) },
  { additionalProperties: false },
);
export type DrillBody = Static<typeof DrillBody>;

export const StartedReply = Type.Object({ id: Type.String({ description: 'follow it at GET /api/v1/runs/:id' }) });

export const RunIdParam = Type.Object({ id: Type.String() });
export type RunIdParam = Static<typeof RunIdParam>;

export const ApprovalBody = Type.Object(
  {
    gate: Type.String({ minLength: 1 }),
    decision: Type.Union([Type.Literal('approve'), Type.Literal('reject'), Type.Literal('retry'), Type.Literal('rollback'), Type.Literal('skip')], {
      description: 'approve or reject at an approval gate; retry, rollback or skip (cto) at a failure gate',
    }),
    reason: Reason,
  },
  { additionalProperties: false },
);
export type ApprovalBody = Static<typeof ApprovalBody>;

export const AbortBody = Type.Object(
  { reason: Reason, undo: Type.Optional(Type.Boolean({ description: 'put back, newest first, what the run changed (acts cut short count as done); accepted while running, awaiting approval or failed' })) },
  { additionalProperties: false },
);
export type AbortBody = Static<typeof AbortBody>;

const ResultSchema = Type.Object({
  status: Type.String(),
  reason: Type.String(),
  evidence: Type.Record(Type.String(), Type.Unknown()),
  measurements: Type.Record(Type.String(), Type.Number()),
  startedAt: Type.String(),
  durationMs: Type.Number(),
});

export const RunSchema = Type.Object({
  id: Type.String(),
  runbook: Type.String(),
  status: Type.Union(['running', 'awaiting-approval', 'succeeded', 'failed', 'aborted', 'compensated'].map((s) => Type.Literal(s)), {
    description: 'compensated: a failure gate decided rollback, and every act done was undone, newest first',
  }),
  dryRun: Type.Boolean(),
  params: Type.Record(Type.String(), Type.Unknown()),
  startedBy: Type.String(),
  startedAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  steps: Type.Array(
    Type.Object({
      id: Type.String(),
      title: Type.String(),
      role: Type.String(),
      status: Type.String(),
      startedAt: Type.Optional(Type.String()),
      finishedAt: Type.Optional(Type.String()),
      actedAt: Type.Optional(Type.String({ description: 'when its act was done (a resumed run never repeats it)' })),
      waitUntil: Type.Optional(Type.String({ description: 'the end of the wait after its act (DNS TTLs), honoured across restarts and failovers' })),
      result: Type.Optional(ResultSchema),
      undo: Type.Optional(Type.Intersect([ResultSchema], { description: 'what undoing its act gave (a compensated or aborted run)' })),
    }),
  ),
  gates: Type.Array(
    Type.Object({
      id: Type.String({ description: 'recover-<step> (then recover-<step>-2, …) for a failure gate' }),
      kind: Type.Optional(Type.Literal('failure', { description: 'a step of a live run failed: decide retry, rollback or skip' })),
      role: Type.String(),
      question: Type.String(),
      options: Type.Optional(Type.Array(Type.String(), { description: 'the decisions the gate takes, when not approve / reject' })),
      status: Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected'), Type.Literal('decided')]),
      decision: Type.Optional(Type.String()),
      by: Type.Optional(Type.String()),
      reason: Type.Optional(Type.String()),
    }),
  ),
});

export const ApprovalReply = Type.Object({
  replayed: Type.Boolean({ description: 'true: this gate already had a decision, which stands' }),
  run: RunSchema,
});

export const RunList = Type.Object({
  runs: Type.Array(Type.Object({ id: Type.String(), runbook: Type.String(), status: Type.String(), dryRun: Type.Boolean(), startedBy: Type.String(), startedAt: Type.String(), finishedAt: Type.Optional(Type.String()) })),
});

export const PostIncidentBody = Type.Object(
  {
    rootCause: Type.String({ minLength: 3, maxLength: 10_000 }),
    correctiveActions: Type.Array(
      Type.Object({ action: Type.String({ minLength: 3 }), owner: Type.String({ minLength: 1 }), due: Type.Optional(Type.String({ format: 'date' })) }, { additionalProperties: false }),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);
export type PostIncidentBody = Static<typeof PostIncidentBody>;

export const PostIncidentReply = Type.Object({
  reportId: Type.String({ description: 'read it at GET /api/v1/reports/:id?format=md' }),
  rtoSeconds: Type.Union([Type.Number(), Type.Null()]),
  dueBy: Type.String(),
  late: Type.Boolean(),
});
