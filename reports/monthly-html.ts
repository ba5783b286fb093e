/**
 * The monthly readiness report as e-mail-safe HTML: one table layout, inline styles only,
 * no scripts, images or external resources; every value goes through the escaping `html` tag.
 */
import { OUTCOME_LABEL, STATUS_LABEL, VERDICT_LABEL, formatRate, formatRetest, formatRpo, formatTime, reportTitle } from './format.js';
import type { MonthlyReport } from './model.js';
import { html, type Html } from './template.js';

const GOOD = '#1a7f37';
const BAD = '#cf222e';
const CELL = 'padding:6px 8px;border:1px solid #d0d7de;vertical-align:top;text-align:left;';
const TABLE = 'border-collapse:collapse;width:100%;margin:0 0 24px 0;font-size:14px;';
const H2 = 'font-size:18px;margin:24px 0 8px 0;';

const cell = (content: Html | string, extra = '') => html`<td style="${CELL}${extra}">${content}</td>`;
const head = (names: string[]) => html`<tr>${names.map((n) => html`<th style="${CELL}background:#f6f8fa;">${n}</th>`)}</tr>`;
const colour = (good: boolean) => `color:${good ? GOOD : BAD};font-weight:bold;`;

function checksTable(report: MonthlyReport): Html {
  const rows = report.checks.map(
    (c) => html`<tr>
      ${cell(html`<strong>${c.title}</strong><br><span style="color:#57606a;">${c.id}</span>`)}
      ${cell(STATUS_LABEL[c.status], colour(c.passed))}
      ${cell(c.reason)}
      ${cell(c.evidence || '—', 'font-size:12px;color:#57606a;')}
      ${cell(formatTime(c.at))}
      ${cell(c.passed ? '—' : c.hint)}
    </tr>`,
  );
  return html`<table role="presentation" style="${TABLE}">${head(['Check', 'Status', 'Reason', 'Evidence', 'Time', 'Remediation'])}${rows}</table>`;
}

function syncsTable(report: MonthlyReport): Html {
  const rows = report.syncs.flows.map(
    (f) => html`<tr>
      ${cell(f.flow)}
      ${cell(String(f.runs))}
      ${cell(`${f.succeeded} / ${f.failed} / ${f.interrupted}`)}
      ${cell(formatRate(f.successRate))}
      ${cell(formatRpo(f.worstRpoSeconds), colour(f.rpoWithinTarget))}
      ${cell(formatTime(f.lastSuccessAt))}
    </tr>`,
  );
  const columns = ['Flow', 'Runs', 'Succeeded / failed / interrupted', 'Success rate', `Worst RPO (target ${report.syncs.rpoTargetHours} h)`, 'Last success'];
  return html`<table role="presentation" style="${TABLE}">${head(columns)}${rows}</table>`;
}

function escalations(report: MonthlyReport): Html {
  if (report.escalations.length === 0) return html`<p>No check failed this month.</p>`;
  const rows = report.escalations.map(
    (e) => html`<tr>
      ${cell(e.check)}
      ${cell(formatTime(e.failedAt))}
      ${cell(e.reason)}
      ${cell(OUTCOME_LABEL[e.outcome], colour(e.outcome === 'fixed'))}
      ${cell(formatRetest(e))}
    </tr>`,
  );
  return html`<table role="presentation" style="${TABLE}">${head(['Check', 'Failed at', 'Reason', 'Outcome', 'Re-test'])}${rows}</table>`;
}

export function monthlyHtml(report: MonthlyReport): string {
  const reasons = report.reasons.length ? html`<ul>${report.reasons.map((r) => html`<li>${r}</li>`)}</ul>` : html``;
  return html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${reportTitle(report)}</title></head>
<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;color:#1f2328;background:#ffffff;">
<h1 style="font-size:22px;margin:0 0 4px 0;">DR readiness report — ${report.month}</h1>
<p style="margin:0 0 16px 0;color:#57606a;">From ${formatTime(report.from)} to ${formatTime(report.to)}; generated ${formatTime(report.generatedAt)}.</p>
<p style="font-size:18px;margin:0 0 8px 0;">Verdict: <span style="${colour(report.verdict === 'ready')}">${VERDICT_LABEL[report.verdict]}</span></p>
${reasons}
<h2 style="${H2}">Monthly checks</h2>
${checksTable(report)}
<h2 style="${H2}">Sync history</h2>
${syncsTable(report)}
<h2 style="${H2}">Escalations</h2>
${escalations(report)}
</body></html>
`.text;
}
