/**
 * The reports of an incident, built from what the runs stored: the post-rollback report
 * (R13.5: total return time, divergences, improvements) and the post-incident report (R16:
 * the timeline, the real RTO, root cause and corrective actions filled in by people).
 * Their Markdown is laid out by reports/post-rollback.ts and reports/post-incident.ts.
 */
import type { RunView } from '../core/runbook.js';
import type { MessageRecord } from '../store/types.js';
import { formatDuration, secondsBetween } from '../../reports/format.js';
import type { PostIncidentInput, PostIncidentReport, PostRollbackReport, TimelineEntry } from '../../reports/model.js';
import { renderPostRollback } from '../../reports/post-rollback.js';

/** Steps and messages of the runs, in time order. */
export function timeline(runs: RunView[], messages: MessageRecord[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  for (const run of runs) {
    entries.push({ at: run.startedAt, what: `${run.runbook}${run.dryRun ? ' (dry-run)' : ''} started by ${run.startedBy}` });
    for (const step of run.steps) {
      if (step.finishedAt && step.result) entries.push({ at: step.finishedAt, what: `${step.title}: ${step.result.status} — ${step.result.reason}` });
    }
    for (const gate of run.gates) if (gate.status !== 'pending') entries.push({ at: run.finishedAt ?? run.startedAt, what: `gate ${gate.id} ${gate.status} by ${gate.by}: ${gate.reason}` });
    if (run.finishedAt) entries.push({ at: run.finishedAt, what: `${run.runbook} ${run.status}` });
  }
  for (const m of messages) entries.push({ at: m.sentAt ?? m.createdAt, what: `${m.audience} message "${m.subject}" ${m.status}` });
  return entries.sort((a, b) => a.at.localeCompare(b.at));
}

/**
 * `divergences`: what the reverse sync could not carry back, found by the rollback's own steps;
 * `reversePassSteps`: the steps that carried data back, listed in the report as they ended.
 */
export function postRollbackReport(run: RunView, divergences: string[], messages: MessageRecord[], reversePassSteps: readonly string[] = []): PostRollbackReport {
  const reversePasses = reversePassSteps.flatMap((id) => {
    const step = run.steps.find((s) => s.id === id);
    return step ? [{ step: id, title: step.title, status: step.result?.status ?? step.status, reason: step.result?.reason ?? 'not run' }] : [];
  });
  const improvements = run.steps.flatMap((s) => {
    if (!s.result) return [];
    if (s.result.status === 'fail' || s.result.status === 'warn') return [`${s.title}: ${s.result.reason}`];
    return s.result.durationMs > 15 * 60_000 ? [`${s.title} took ${formatDuration(Math.round(s.result.durationMs / 1000))}: look for what slows it`] : [];
  });
  const returnSeconds = secondsBetween(run.startedAt, run.finishedAt);
  return {
    runId: run.id,
    startedAt: run.startedAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    ...(returnSeconds !== undefined ? { returnSeconds } : {}),
    divergences,
    reversePasses,
    improvements,
    timeline: timeline([run], messages),
  };
}

/** The post-rollback report as the Markdown the rollback's last step stores; `now` times a run not yet finished. */
export function postRollbackMarkdown(run: RunView, divergences: string[], messages: MessageRecord[], reversePassSteps: readonly string[], now: Date): string {
  return renderPostRollback(postRollbackReport(run, divergences, messages, reversePassSteps), now).text;
}

/** R16: written within 48 h of the activation; people fill in the cause and the actions. */
export const POST_INCIDENT_DUE_HOURS = 48;

export function postIncidentReport(run: RunView, messages: MessageRecord[], input: PostIncidentInput, rtoEndStep: string, now: Date): PostIncidentReport {
  const end = run.steps.find((s) => s.id === rtoEndStep);
  const dueBy = new Date(Date.parse(run.startedAt) + POST_INCIDENT_DUE_HOURS * 3_600_000);
  return {
    ...input,
    runId: run.id,
    runbook: run.runbook,
    startedAt: run.startedAt,
    rtoSeconds: end?.status === 'succeeded' && end.finishedAt ? secondsBetween(run.startedAt, end.finishedAt)! : null,
    dueBy: dueBy.toISOString(),
    writtenAt: now.toISOString(),
    late: now > dueBy,
    timeline: timeline([run], messages),
  };
}
