/**
 * The readiness rule: one pure function from the latest stored results to a verdict.
 * The API (`GET /api/v1/readiness`) and the metrics (`dr_readiness`, `dr_readiness_score`,
 * `dr_rpo_seconds`) both come from it, so they can never disagree.
 *
 * - A check's latest result counts as passing only if its status is `pass` and it is not
 *   stale. Stale means older than the staleness limit of its suite: three probe intervals
 *   for the scheduled probe suites (a probe that stopped running is as bad as a failing one),
 *   32 days for the monthly suite (it runs on the first Monday of every month). The suites
 *   run on demand only (suite-names.ts) never go stale: their latest result stands until the
 *   next run — a failed smoke test counts until it is re-run and passes.
 * - score = passing checks / checks that have ever run (0 when none has run).
 * - RPO of a flow = now − the point in time up to which its last successful forward sync is
 *   verified: the export time it covered for the metadata flow (`verifiedThrough`), the
 *   start of the run otherwise (objects changed during a run may have been missed).
 *   Within target when that is at most `rpoHours`; a flow never synced is not within target.
 * - verdict: `unknown` while no check has run; `ready` when every check passes, every
 *   flow is within the RPO target and no contingency is open (the standby then serves: it is
 *   not waiting, ready, to be activated); `not-ready` otherwise, with one reason per problem.
 */
import type { Status } from '../core/result.js';
import type { CheckRecord, ContingencyRecord, SyncRunRecord } from '../store/types.js';
import type { SyncFlow } from '../core/flows.js';
import { MONTHLY_SUITE, PROBE_SUITES } from './suite-names.js';

export { MONTHLY_SUITE } from './suite-names.js';
export const RTO_TARGET_SECONDS = { min: 7200, max: 14400 } as const;
const MONTHLY_STALE_MS = 32 * 24 * 3600_000;
const PROBE_INTERVALS_BEFORE_STALE = 3;

export type Verdict = 'ready' | 'not-ready' | 'unknown';

export interface CheckState {
  suite: string;
  check: string;
  status: Status;
  reason: string;
  startedAt: string;
  durationMs: number;
  stale: boolean;
}

export interface FlowRpo {
  flow: SyncFlow;
  seconds: number | null;
  lastVerifiedAt: string | null;
  withinTarget: boolean;
}

export interface Readiness {
  verdict: Verdict;
  score: number;
  reasons: string[];
  checks: CheckState[];
  rpo: FlowRpo[];
  estimatedRtoSeconds: number | null;
  rtoTargetSeconds: typeof RTO_TARGET_SECONDS;
  /** The open contingency, if any: the standby serves, and forward syncs are held. */
  contingency: { runId: string; runbook: string; since: string } | null;
  generatedAt: string;
}

export interface ReadinessInput {
  now: Date;
  /** The newest result of every check ever run. */
  checks: CheckRecord[];
  /** Every forward flow, with its last successful run if any. */
  lastSuccess: Record<SyncFlow, SyncRunRecord | undefined>;
  rpoHours: number;
  probeEveryMinutes: number;
  /** From the last measured activation or drill; null until one has run. */
  estimatedRtoSeconds: number | null;
  contingency?: ContingencyRecord;
}

/** How old a result of this suite may be before it counts as failed. */
export function stalenessLimitMs(suite: string, probeEveryMinutes: number): number {
  if (suite === MONTHLY_SUITE) return MONTHLY_STALE_MS;
  if ((PROBE_SUITES as readonly string[]).includes(suite)) return PROBE_INTERVALS_BEFORE_STALE * probeEveryMinutes * 60_000;
  return Number.POSITIVE_INFINITY;
}

export function assessReadiness(input: ReadinessInput): Readiness {
  const now = input.now.getTime();
  const reasons: string[] = [];

  const checks = input.checks.map(({ suite, check, result }): CheckState => {
    const age = now - Date.parse(result.startedAt);
    const limit = stalenessLimitMs(suite, input.probeEveryMinutes);
    const stale = age > limit;
    if (result.status !== 'pass') reasons.push(`${suite}/${check} ${result.status}: ${result.reason}`);
    else if (stale) reasons.push(`${suite}/${check} is stale: last run ${formatDuration(age)} ago, limit ${formatDuration(limit)}`);
    return { suite, check, status: result.status, reason: result.reason, startedAt: result.startedAt, durationMs: result.durationMs, stale };
  });
  const passing = checks.filter((c) => c.status === 'pass' && !c.stale).length;

  const targetSeconds = input.rpoHours * 3600;
  const rpo = (Object.keys(input.lastSuccess) as SyncFlow[]).map((flow): FlowRpo => {
    const run = input.lastSuccess[flow];
    if (!run) {
      reasons.push(`${flow} sync has never succeeded: RPO unknown`);
      return { flow, seconds: null, lastVerifiedAt: null, withinTarget: false };
    }
    const lastVerifiedAt = run.verifiedThrough ?? run.startedAt;
    const seconds = Math.max(0, Math.round((now - Date.parse(lastVerifiedAt)) / 1000));
    const withinTarget = seconds <= targetSeconds;
    if (!withinTarget) reasons.push(`${flow} RPO is ${formatDuration(seconds * 1000)}, over the ${input.rpoHours} h target`);
    return { flow, seconds, lastVerifiedAt, withinTarget };
  });

  const held = input.contingency;
  if (held) reasons.unshift(`in contingency since ${held.since} (run ${held.runId}, ${held.runbook}): the standby serves, and forward syncs are held until the rollback's DNS cutback`);

  let verdict: Verdict;
  if (checks.length === 0) {
    verdict = 'unknown';
    reasons.unshift('no check has run yet');
  } else {
    verdict = passing === checks.length && rpo.every((f) => f.withinTarget) && !held ? 'ready' : 'not-ready';
  }

  return {
    verdict,
    score: checks.length === 0 ? 0 : passing / checks.length,
    reasons,
    checks,
    rpo,
    estimatedRtoSeconds: input.estimatedRtoSeconds,
    rtoTargetSeconds: RTO_TARGET_SECONDS,
    contingency: held ? { runId: held.runId, runbook: held.runbook, since: held.since } : null,
    generatedAt: input.now.toISOString(),
  };
}

function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 120) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 72) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}
