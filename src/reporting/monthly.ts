/**
 * The monthly DR-readiness report (R5, R18) as data: built from the store alone, so the
 * service, the CLI and the scheduled run produce the same report. The renderings
 * (reports/monthly-*.ts) only lay this model (reports/model.ts) out; every sentence is decided here.
 */
import { MONTHLY_SUITE } from '../checks/suite-names.js';
import type { Clock } from '../core/clock.js';
import type { Result } from '../core/result.js';
import type { Config } from '../config/schema.js';
import { SYNC_FLOWS } from '../core/flows.js';
import type { Store } from '../store/types.js';
import type { Escalation, FlowHistory, MonthlyCheckRow, MonthlyReport } from '../../reports/model.js';
import { monthlyChecks, type MonthlyCheckEntry } from './catalogue.js';
import { escalationsOf } from './escalation.js';
import { monthOf, monthWindow, within } from './month.js';
import { flowHistory } from './sync-history.js';

/**
 * How far back the history is read. Checks run monthly (plus re-tests) and syncs daily;
 * this reaches back years, and the store keeps every failure anyway.
 */
const HISTORY_SCAN = 100_000;
const EVIDENCE_SUMMARY_CHARS = 400;

export interface ReportSources {
  store: Store;
  config: Config;
  clock: Clock;
}

/** `key: value; …` of a result's evidence, cut to a readable length. */
export function summarizeEvidence(evidence: Record<string, unknown>): string {
  const text = Object.entries(evidence)
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('; ');
  return text.length > EVIDENCE_SUMMARY_CHARS ? `${text.slice(0, EVIDENCE_SUMMARY_CHARS - 1)}…` : text;
}

function checkRow(entry: MonthlyCheckEntry, results: readonly Result[]): MonthlyCheckRow {
  const latest = results[0];
  const base = { id: entry.id, title: entry.title, runs: results.length, failures: results.filter((r) => r.status === 'fail').length, hint: entry.hint };
  if (!latest) return { ...base, status: 'not-run', passed: false, reason: 'the check did not run this month', evidence: '', at: null };
  return { ...base, status: latest.status, passed: latest.status === 'pass', reason: latest.reason, evidence: summarizeEvidence(latest.evidence), at: latest.startedAt };
}

function reasonsOf(checks: readonly MonthlyCheckRow[], flows: readonly FlowHistory[]): string[] {
  const reasons = checks
    .filter((c) => !c.passed)
    .map((c) => (c.status === 'not-run' ? `${c.id} did not run this month` : `${c.id}: its latest result this month is ${c.status}: ${c.reason}`));
  for (const f of flows) {
    if (f.lastSuccessAt === null) reasons.push(`the ${f.flow} sync did not succeed this month`);
    else if (f.lastStatus !== 'succeeded') reasons.push(`the last ${f.flow} sync of the month ${f.lastStatus}`);
  }
  return reasons;
}

/**
 * The report of `month` (`YYYY-MM`, default: the current month, UTC). Verdict: ready when
 * each of the seven checks passed at its latest run of the month and each flow's latest
 * finished sync of the month succeeded.
 */
export async function buildMonthlyReport(sources: ReportSources, month?: string): Promise<MonthlyReport> {
  const now = sources.clock.now();
  const window = monthWindow(month ?? monthOf(now), now);
  const until = now < window.end ? now : window.end;

  const checks: MonthlyCheckRow[] = [];
  const escalations: Escalation[] = [];
  for (const entry of monthlyChecks(sources.config)) {
    const results = (await sources.store.checks.history(MONTHLY_SUITE, entry.id, HISTORY_SCAN))
      .map((record) => record.result)
      .filter((r) => within(r.startedAt, window));
    checks.push(checkRow(entry, results));
    escalations.push(...escalationsOf(entry.id, results, now));
  }
  escalations.sort((a, b) => a.failedAt.localeCompare(b.failedAt));

  const rpoHours = sources.config.sync.rpoHours;
  const flows: FlowHistory[] = [];
  for (const flow of SYNC_FLOWS) {
    const forward = (await sources.store.syncs.list(HISTORY_SCAN, flow)).filter((r) => !r.reverse);
    flows.push(flowHistory(flow, forward, window, until, rpoHours));
  }

  const reasons = reasonsOf(checks, flows);
  return {
    kind: 'monthly',
    month: window.month,
    from: window.start.toISOString(),
    to: until.toISOString(),
    generatedAt: now.toISOString(),
    verdict: reasons.length === 0 ? 'ready' : 'not-ready',
    reasons,
    checks,
    syncs: { rpoTargetHours: rpoHours, flows },
    escalations,
  };
}
