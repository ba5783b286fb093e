/**
 * The runbook's rule for a failed monthly check (R5): it is fixed and re-tested the same
 * day (UTC), else escalated to the CTO. Per check and day with a failure, the re-test is
 * the last result of that day after the first failure.
 */
import type { Result } from '../core/result.js';
import type { Escalation, EscalationOutcome } from '../../reports/model.js';
import { dayOf } from './month.js';

function summarize(outcome: EscalationOutcome, retest: Escalation['retest'], day: string): string {
  if (outcome === 'fixed') return `fixed the same day: the re-test at ${retest!.at.slice(11, 16)} UTC passed`;
  const retested = retest ? `the re-test at ${retest.at.slice(11, 16)} UTC was ${retest.status}` : 'no re-test';
  return outcome === 'open' ? `${retested}; escalated to the CTO unless fixed before the end of ${day} UTC` : `${retested} that day: escalated to the CTO`;
}

/** `results` are one check's results in the month, in any order; `now` decides which day is still open. */
export function escalationsOf(check: string, results: readonly Result[], now: Date): Escalation[] {
  const byDay = new Map<string, Result[]>();
  for (const result of [...results].sort((a, b) => a.startedAt.localeCompare(b.startedAt))) {
    const day = dayOf(result.startedAt);
    const ofDay = byDay.get(day) ?? [];
    ofDay.push(result);
    byDay.set(day, ofDay);
  }
  const today = dayOf(now.toISOString());
  const escalations: Escalation[] = [];
  for (const [day, ofDay] of byDay) {
    const first = ofDay.findIndex((r) => r.status === 'fail');
    if (first === -1) continue;
    const failure = ofDay[first]!;
    const last = ofDay.length - 1 > first ? ofDay.at(-1)! : undefined;
    const retest = last ? { status: last.status, at: last.startedAt, reason: last.reason } : null;
    const outcome: EscalationOutcome = retest?.status === 'pass' ? 'fixed' : day === today ? 'open' : 'escalated';
    escalations.push({ check, failedAt: failure.startedAt, reason: failure.reason, retest, outcome, summary: summarize(outcome, retest, day) });
  }
  return escalations;
}
