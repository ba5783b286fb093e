import { Type, type Static } from '@sinclair/typebox';
import { SUITES } from '../../checks/suite-names.js';

const SuiteName = Type.Union(SUITES.map((s) => Type.Literal(s)), { description: 'monthly (R5), standby (scheduled probes), smoke (R10), e2e (R11), complementary (R12), sampling (hash samples)' });
const StatusName = Type.Union(['pass', 'fail', 'warn', 'skip'].map((s) => Type.Literal(s)));

export const CheckResult = Type.Object({
  status: StatusName,
  reason: Type.String({ description: 'why, in one sentence' }),
  evidence: Type.Record(Type.String(), Type.Unknown(), { description: 'what was seen: names, addresses, mismatches' }),
  measurements: Type.Record(Type.String(), Type.Number()),
  startedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Number(),
});

export const CheckSummary = Type.Object({
  suite: Type.String(),
  check: Type.String(),
  registered: Type.Boolean({ description: 'false: results of a check this version no longer runs' }),
  latest: Type.Union([CheckResult, Type.Null()], { description: 'null: registered, never run' }),
  historyLength: Type.Integer({ description: 'results kept (the newest checks.historySize, and every failure)' }),
});

export const CheckList = Type.Object({
  checks: Type.Array(CheckSummary),
  running: Type.Array(Type.String(), { description: 'suites running now' }),
});

export const HistoryParams = Type.Object({ suite: Type.String(), check: Type.String() });
export type HistoryParams = Static<typeof HistoryParams>;

export const HistoryQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }) });
export type HistoryQuery = Static<typeof HistoryQuery>;

export const History = Type.Object({
  suite: Type.String(),
  check: Type.String(),
  results: Type.Array(CheckResult, { description: 'newest first' }),
});

export const RunParams = Type.Object({
  suite: Type.Union([...SUITES.map((s) => Type.Literal(s)), Type.Literal('all')], { description: 'which suite to run; all runs every suite, one after the other' }),
});
export type RunParams = Static<typeof RunParams>;

export const SuiteSummary = Type.Object({
  suite: SuiteName,
  status: Type.Union(['pass', 'fail', 'warn', 'skip'].map((s) => Type.Literal(s)), { description: 'fail if any check failed; warn if any warned; skip: no check in the suite' }),
  startedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Number(),
  results: Type.Array(Type.Object({ check: Type.String(), title: Type.String(), result: CheckResult })),
});

export const RunReply = Type.Object({ suites: Type.Array(SuiteSummary) });
