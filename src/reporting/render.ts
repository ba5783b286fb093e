/**
 * The one place a stored report becomes a document. A monthly report is stored as its
 * model (JSON); HTML and Markdown are laid out from it by the templates in reports/.
 */
import type { MonthlyReport } from '../../reports/model.js';
import { monthlyHtml } from '../../reports/monthly-html.js';
import { monthlyMarkdown } from '../../reports/monthly-md.js';
import { UsageError } from '../core/errors.js';
import type { ReportRecord } from '../store/types.js';

export type ReportFormat = ReportRecord['format'];
export const REPORT_FORMATS: readonly ReportFormat[] = ['json', 'html', 'md'];

export const CONTENT_TYPES: Record<ReportFormat, string> = {
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
};

export function renderMonthly(report: MonthlyReport, format: ReportFormat): string {
  if (format === 'html') return monthlyHtml(report);
  if (format === 'md') return monthlyMarkdown(report);
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** A stored report in `format`: its body when stored so, else rendered from its model. */
export function renderStored(record: ReportRecord, format: ReportFormat): string {
  if (record.format === format) return record.body;
  if (record.kind === 'monthly' && record.format === 'json') return renderMonthly(JSON.parse(record.body) as MonthlyReport, format);
  throw new UsageError(`report ${record.id} exists only as ${record.format}`);
}
