import { Type, type Static } from '@sinclair/typebox';
import { SYNC_FLOWS } from '../../core/flows.js';

export const FlowParam = Type.Object({
  flow: Type.Union([...SYNC_FLOWS.map((flow) => Type.Literal(flow)), Type.Literal('all')], { description: 'which flow to run; all runs the three side by side' }),
});
export type FlowParam = Static<typeof FlowParam>;

export const RunSyncBody = Type.Object(
  {
    reverse: Type.Optional(Type.Boolean({ description: 'tech-lead or cto: from Azure back to AWS (rollback); never deletes, never overwrites what changed on AWS' })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'reverse metadata only: carry back what changed since then' })),
    allowDeletes: Type.Optional(Type.Boolean({ description: 'tech-lead or cto: let a mirror or full import delete past the safety brakes (an empty source listing, more than sync.maxDeleteRatio of the destination); audited' })),
  },
  { additionalProperties: false },
);
export type RunSyncBody = Static<typeof RunSyncBody>;

export const RunSyncReply = Type.Object({
  ids: Type.Array(Type.String(), { description: 'one run per flow; follow each at GET /api/v1/syncs/:id' }),
});

export const SyncIdParam = Type.Object({ id: Type.String() });
export type SyncIdParam = Static<typeof SyncIdParam>;

export const SyncRun = Type.Object({
  id: Type.String(),
  flow: Type.String(),
  reverse: Type.Boolean(),
  status: Type.Union(['queued', 'running', 'succeeded', 'failed', 'interrupted'].map((s) => Type.Literal(s)), { description: 'queued: asked of a replica that does not lead; the leader starts it within a second under this id' }),
  startedAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  verifiedThrough: Type.Optional(Type.String()),
  summary: Type.Record(Type.String(), Type.Unknown(), { description: 'counts, bytes, verification Result, failure class' }),
  progress: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'while running: objects, bytes, rate (bytesPerSecond), ETA (etaSeconds)' })),
});

export const SyncList = Type.Object({ runs: Type.Array(SyncRun) });

export const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  flow: Type.Optional(Type.Union(SYNC_FLOWS.map((flow) => Type.Literal(flow)))),
});
export type ListQuery = Static<typeof ListQuery>;
