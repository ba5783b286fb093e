import { Type, type Static } from '@sinclair/typebox';
import { SYNC_FLOWS } from '../../core/flows.js';

const Nullable = <T extends ReturnType<typeof Type.Number> | ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const CheckState = Type.Object({
  suite: Type.String({ description: 'monthly, smoke, e2e, complementary, …' }),
  check: Type.String(),
  status: Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('warn'), Type.Literal('skip')], { description: 'of the latest result' }),
  reason: Type.String({ description: 'why, in one sentence' }),
  startedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Number(),
  stale: Type.Boolean({ description: 'older than the staleness limit of its suite: counts as failed' }),
});

export const FlowRpo = Type.Object({
  flow: Type.Union(SYNC_FLOWS.map((flow) => Type.Literal(flow))),
  seconds: Nullable(Type.Number({ description: 'data that failing over now would lose, in seconds; null if never synced' })),
  lastVerifiedAt: Nullable(Type.String({ format: 'date-time', description: 'source data up to this time is verified at the standby' })),
  withinTarget: Type.Boolean({ description: 'seconds ≤ config sync.rpoHours' }),
});

export const ReadinessResponse = Type.Object(
  {
    verdict: Type.Union([Type.Literal('ready'), Type.Literal('not-ready'), Type.Literal('unknown')], {
      description: 'ready: every check passes and is fresh, every flow within the RPO, no contingency open; unknown: no check has run yet',
    }),
    score: Type.Number({ minimum: 0, maximum: 1, description: 'share of checks whose latest result passed and is not stale' }),
    reasons: Type.Array(Type.String(), { description: 'one line per problem that keeps the verdict from ready' }),
    checks: Type.Array(CheckState, { description: 'the latest result of every check' }),
    rpo: Type.Array(FlowRpo, { description: 'one entry per forward flow' }),
    estimatedRtoSeconds: Nullable(Type.Number({ description: 'from the last measured activation or drill; null until one has run' })),
    rtoTargetSeconds: Type.Object({ min: Type.Number(), max: Type.Number() }, { description: 'the RTO target: 2 to 4 hours' }),
    contingency: Type.Union([
      Type.Object({ runId: Type.String(), runbook: Type.String(), since: Type.String({ format: 'date-time' }) }),
      Type.Null(),
    ], { description: 'the open contingency (from a live activation\'s first act until the rollback\'s DNS cutback): the standby serves and forward syncs are held; null when none' }),
    generatedAt: Type.String({ format: 'date-time' }),
  },
  { description: 'Whether the standby can be activated now, and why (src/checks/readiness.ts states the rule).' },
);
export type ReadinessResponse = Static<typeof ReadinessResponse>;
