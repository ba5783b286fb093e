/** Words and numbers as the renderings of the reports print them. */
import type { Escalation, EscalationOutcome, MonthlyReport } from './model.js';
import { md, type Markdown } from './template.js';

export const STATUS_LABEL: Record<MonthlyReport['checks'][number]['status'], string> = {
  pass: 'PASS',
  fail: 'FAIL',
  warn: 'WARN',
  skip: 'SKIPPED',
  'not-run': 'NOT RUN',
};

export const OUTCOME_LABEL: Record<EscalationOutcome, string> = {
  fixed: 'fixed the same day',
  escalated: 'escalated to the CTO',
  open: 'awaiting re-test today',
};

export const VERDICT_LABEL: Record<MonthlyReport['verdict'], string> = { ready: 'READY', 'not-ready': 'NOT READY' };

/** `2026-03-02 09:00 UTC`; an em dash for a missing time. */
export function formatTime(iso: string | null): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '—';
}

export function formatRate(rate: number | null): string {
  return rate === null ? '—' : `${(rate * 100).toFixed(rate === 1 ? 0 : 1)} %`;
}

export function formatRpo(seconds: number | null): string {
  if (seconds === null) return 'unknown (no verified copy for part of the month)';
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** What the same-day re-test of a failure showed. */
export function formatRetest(escalation: Escalation): string {
  const { retest } = escalation;
  return retest ? `${formatTime(retest.at)}: ${STATUS_LABEL[retest.status]} (${retest.reason})` : 'none that day';
}

export function reportTitle(report: MonthlyReport): string {
  return `DR readiness report ${report.month}: ${VERDICT_LABEL[report.verdict]}`;
}

/** Whole seconds from `from` to `to`; undefined without an end. */
export function secondsBetween(from: string, to: string | undefined): number | undefined {
  return to ? Math.round((Date.parse(to) - Date.parse(from)) / 1000) : undefined;
}

/** `2 h 5 min`, `12 min 3 s`; `unfinished` without a duration. */
export function formatDuration(s: number | undefined): string {
  return s === undefined ? 'unfinished' : s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : `${Math.round(s / 60)} min ${s % 60} s`;
}

/** One `- item` line per item, or `none` as a sentence when there is none. */
export function bulletList(items: string[], none: string): Markdown {
  return items.length === 0 ? md`${none}\n` : md`${items.map((i) => md`- ${i}\n`)}`;
}
