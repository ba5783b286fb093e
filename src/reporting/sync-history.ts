/**
 * A month of forward sync runs per flow: how many, how many succeeded, and the worst RPO
 * of the month. RPO at an instant is that instant minus the point verified by the last
 * success finished by then (readiness.ts: `verifiedThrough`, else the run's start), so it
 * peaks just before each success finishes and at the end of the window.
 */
import type { SyncRunRecord } from '../store/types.js';
import type { SyncFlow } from '../core/flows.js';
import type { FlowHistory } from '../../reports/model.js';
import type { MonthWindow } from './month.js';

const verifiedPoint = (run: SyncRunRecord): number => Date.parse(run.verifiedThrough ?? run.startedAt);
const finished = (run: SyncRunRecord): number => Date.parse(run.finishedAt ?? run.startedAt);

function worstRpo(successes: readonly SyncRunRecord[], window: MonthWindow, until: Date): number | null {
  const ordered = [...successes].sort((a, b) => finished(a) - finished(b));
  let verified: number | undefined;
  let worst = 0;
  for (const run of ordered) {
    const at = finished(run);
    if (at >= until.getTime()) break;
    if (at >= window.start.getTime()) {
      if (verified === undefined) return null;
      worst = Math.max(worst, at - verified);
    }
    verified = Math.max(verified ?? -Infinity, verifiedPoint(run));
  }
  if (verified === undefined) return null;
  return Math.round(Math.max(worst, until.getTime() - verified) / 1000);
}

/**
 * `runs` are the flow's forward runs, newest first, reaching back at least to the last
 * success before the month. `until` is the end of the month, or now for the current month.
 */
export function flowHistory(flow: SyncFlow, runs: readonly SyncRunRecord[], window: MonthWindow, until: Date, rpoHours: number): FlowHistory {
  const inMonth = runs.filter((r) => {
    const t = Date.parse(r.startedAt);
    return t >= window.start.getTime() && t < window.end.getTime();
  });
  const count = (status: SyncRunRecord['status']) => inMonth.filter((r) => r.status === status).length;
  const succeeded = count('succeeded');
  const failed = count('failed');
  const lastSuccess = inMonth.filter((r) => r.status === 'succeeded').sort((a, b) => finished(b) - finished(a))[0];
  const lastFinished = inMonth.filter((r) => r.status !== 'running' && r.status !== 'queued').sort((a, b) => finished(b) - finished(a))[0];
  const worst = worstRpo(runs.filter((r) => r.status === 'succeeded'), window, until);
  return {
    flow,
    runs: inMonth.length,
    succeeded,
    failed,
    interrupted: count('interrupted'),
    successRate: succeeded + failed === 0 ? null : succeeded / (succeeded + failed),
    worstRpoSeconds: worst,
    rpoWithinTarget: worst !== null && worst <= rpoHours * 3600,
    lastSuccessAt: lastSuccess ? (lastSuccess.finishedAt ?? lastSuccess.startedAt) : null,
    lastStatus: lastFinished?.status ?? null,
  };
}
