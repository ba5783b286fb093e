/** The monthly readiness report as Markdown, also the plain-text part of its e-mail. */
import { OUTCOME_LABEL, STATUS_LABEL, VERDICT_LABEL, formatRate, formatRetest, formatRpo, formatTime } from './format.js';
import type { MonthlyReport } from './model.js';
import { md, type Markdown } from './template.js';

const table = (columns: string[], rows: Markdown[]) =>
  md`| ${columns.map((c, i) => (i === 0 ? md`${c}` : md` | ${c}`))} |
|${columns.map(() => md`---|`)}
${rows.map((r) => md`${r}\n`)}`;

function checks(report: MonthlyReport): Markdown {
  const rows = report.checks.map(
    (c) => md`| ${c.title} (${c.id}) | **${STATUS_LABEL[c.status]}** | ${c.reason} | ${c.evidence || '—'} | ${formatTime(c.at)} | ${c.passed ? '—' : c.hint} |`,
  );
  return table(['Check', 'Status', 'Reason', 'Evidence', 'Time', 'Remediation'], rows);
}

function syncs(report: MonthlyReport): Markdown {
  const rows = report.syncs.flows.map(
    (f) =>
      md`| ${f.flow} | ${f.runs} | ${f.succeeded} / ${f.failed} / ${f.interrupted} | ${formatRate(f.successRate)} | ${formatRpo(f.worstRpoSeconds)}${f.worstRpoSeconds !== null && !f.rpoWithinTarget ? ' (over target)' : ''} | ${formatTime(f.lastSuccessAt)} |`,
  );
  return table(['Flow', 'Runs', 'Succeeded / failed / interrupted', 'Success rate', `Worst RPO (target ${report.syncs.rpoTargetHours} h)`, 'Last success'], rows);
}

function escalations(report: MonthlyReport): Markdown {
  if (report.escalations.length === 0) return md`No check failed this month.\n`;
  const rows = report.escalations.map((e) => md`| ${e.check} | ${formatTime(e.failedAt)} | ${e.reason} | **${OUTCOME_LABEL[e.outcome]}** | ${formatRetest(e)} |`);
  return table(['Check', 'Failed at', 'Reason', 'Outcome', 'Re-test'], rows);
}

export function monthlyMarkdown(report: MonthlyReport): string {
  const reasons = report.reasons.map((r) => md`- ${r}\n`);
  return md`# DR readiness report — ${report.month}

From ${formatTime(report.from)} to ${formatTime(report.to)}; generated ${formatTime(report.generatedAt)}.

**Verdict: ${VERDICT_LABEL[report.verdict]}**

${reasons}
## Monthly checks

${checks(report)}
## Sync history

${syncs(report)}
## Escalations

${escalations(report)}`.text;
}
