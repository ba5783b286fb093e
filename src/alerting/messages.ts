/**
 * The words of the R4 notifications, one source for e-mail (text and HTML) and webhook (data).
 * They name the flow, the failure class, the days and the last error — scrubbed, since an
 * SDK's message can quote a URL with a SAS signature or a connection string.
 */
import type { Message } from '../core/ports.js';
import { html } from '../../reports/template.js';
import type { SyncAlertRecord } from '../store/types.js';
import type { SyncFlow } from '../core/flows.js';

const ROUTES: Record<SyncFlow, string> = {
  site: 'S3 site bucket → Blob $web',
  uploads: 'S3 uploads bucket → Blob uploads container',
  metadata: 'DynamoDB → Cosmos DB',
};

const MAX_ERROR_CHARS = 500;

/** Removes what could be a credential from an error text: query strings, keys, tokens, passwords. */
export function scrub(text: string): string {
  const cleaned = text
    .replace(/(https?:\/\/[^\s?#"']+)\?[^\s"']*/gi, '$1?[redacted]')
    .replace(/\b(AccountKey|SharedAccessSignature|SharedAccessKey|sig|password|pwd|token|secret|key)=([^;&\s"']+)/gi, '$1=[redacted]')
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g, '$1 [redacted]')
    .replace(/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1[redacted]@');
  return cleaned.length > MAX_ERROR_CHARS ? `${cleaned.slice(0, MAX_ERROR_CHARS)}…` : cleaned;
}

export function alertMessage(alert: SyncAlertRecord, lastRunId?: string): Message {
  const { flow, failureClass, lastError, failedDays: days } = alert;
  const subject = `[drsentinel] ${flow} sync failed ${days.length} days in a row (${failureClass})`;
  const lines = [
    `The ${flow} sync (${ROUTES[flow]}) has failed on ${days.length} consecutive days: ${days.join(', ')}.`,
    `Failure class: ${failureClass}`,
    `Last error: ${lastError}`,
    ...(lastRunId ? [`Last failed run: ${lastRunId}`] : []),
    '',
    'The standby is no longer being refreshed for this flow: its RPO grows until a sync passes.',
    'This is the only alert for this streak; a recovery notice follows when the flow passes again.',
  ];
  const body = html`<!doctype html><html><body style="font-family: sans-serif">
<h2 style="color: #b00020">${flow} sync failed ${days.length} days in a row</h2>
<p>The ${flow} sync (${ROUTES[flow]}) has failed on ${days.length} consecutive days: ${days.join(', ')}.</p>
<table cellpadding="4" style="border-collapse: collapse">
<tr><th align="left">Failure class</th><td>${failureClass}</td></tr>
<tr><th align="left">Last error</th><td>${lastError}</td></tr>
${lastRunId ? html`<tr><th align="left">Last failed run</th><td>${lastRunId}</td></tr>` : ''}
</table>
<p>This is the only alert for this streak; a recovery notice follows when the flow passes again.</p>
</body></html>`;
  return {
    kind: 'sync-failure',
    subject,
    text: `${lines.join('\n')}\n`,
    html: body.text,
    data: { flow, failureClass, failedDays: days.length, days, streakStart: alert.streakStart, lastError, ...(lastRunId ? { lastRunId } : {}) },
  };
}

export function recoveryMessage(alert: SyncAlertRecord, passed: { runId?: string; at?: string }): Message {
  const { flow, streakStart, failureClass } = alert;
  const when = passed.at ? ` at ${passed.at}` : '';
  const text = `The ${flow} sync (${ROUTES[flow]}) passed again${when}, after failing since ${streakStart} (${failureClass}).\n` +
    (passed.runId ? `Successful run: ${passed.runId}\n` : '');
  const body = html`<!doctype html><html><body style="font-family: sans-serif">
<h2 style="color: #1b5e20">${flow} sync recovered</h2>
<p>The ${flow} sync (${ROUTES[flow]}) passed again${when}, after failing since ${streakStart} (${failureClass}).</p>
${passed.runId ? html`<p>Successful run: ${passed.runId}</p>` : ''}
</body></html>`;
  return {
    kind: 'sync-recovery',
    subject: `[drsentinel] ${flow} sync recovered`,
    text,
    html: body.text,
    data: { flow, streakStart, failureClass, ...(passed.at ? { passedAt: passed.at } : {}), ...(passed.runId ? { runId: passed.runId } : {}) },
  };
}
