/**
 * Producing the monthly report: build it, store it, and send it to the Tech Lead when
 * asked. The API, the CLI and the scheduled monthly run all come through here.
 */
import type { Config } from '../config/schema.js';
import type { Message, Notifier } from '../core/ports.js';
import { describeError } from '../core/result.js';
import { NotAvailableError, UsageError } from '../core/errors.js';
import type { ReportRecord } from '../store/types.js';
import { reportTitle } from '../../reports/format.js';
import type { MonthlyReport } from '../../reports/model.js';
import { buildMonthlyReport, type ReportSources } from './monthly.js';
import { renderMonthly } from './render.js';

export interface ProduceDeps extends ReportSources {
  /** Those that deliver the report by e-mail (the e-mail notifier). */
  notifiers: readonly Notifier[];
}

export interface ProduceOptions {
  /** `YYYY-MM`; default the current month (UTC). */
  month?: string;
  email: boolean;
  signal?: AbortSignal;
}

export interface ProducedReport {
  id: string;
  createdAt: string;
  report: MonthlyReport;
  /** Recipients it was sent to; empty when not e-mailed. */
  emailedTo: string[];
}

/** The e-mail settings, or a usage error naming the missing section. */
export function emailSettings(config: Config): NonNullable<Config['notify']['email']> {
  const email = config.notify.email;
  if (!email) throw new UsageError('cannot e-mail the report: notify.email is not configured (it needs host, from and techLead)');
  return email;
}

/** Where the report goes; throws before anything is built when it cannot be sent. */
function recipients(deps: ProduceDeps): string[] {
  const { techLead } = emailSettings(deps.config);
  if (deps.notifiers.length === 0) throw new NotAvailableError('sending e-mail from here (no e-mail notifier is wired)');
  return [techLead];
}

export function reportMessage(record: Pick<ReportRecord, 'id'>, report: MonthlyReport, to: string[]): Message {
  return {
    kind: 'monthly-report',
    subject: reportTitle(report),
    text: renderMonthly(report, 'md'),
    html: renderMonthly(report, 'html'),
    to,
    data: { reportId: record.id, month: report.month, verdict: report.verdict },
  };
}

export async function produceMonthlyReport(deps: ProduceDeps, opts: ProduceOptions): Promise<ProducedReport> {
  const to = opts.email ? recipients(deps) : [];
  const report = await buildMonthlyReport(deps, opts.month);
  const record = await deps.store.reports.save({ kind: 'monthly', period: report.month, format: 'json', body: JSON.stringify(report) });
  if (opts.email) {
    const message = reportMessage(record, report, to);
    try {
      for (const notifier of deps.notifiers) await notifier.send(message, opts.signal);
    } catch (err) {
      throw new Error(`report ${record.id} is stored, but ${describeError(err)}`, { cause: err });
    }
  }
  return { id: record.id, createdAt: record.createdAt, report, emailedTo: to };
}
