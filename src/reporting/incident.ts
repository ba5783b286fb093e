/**
 * The reports of an incident, built from what the runs stored: the post-rollback report
 * (R13.5: total return time, divergences, improvements) and the post-incident report (R16:
 * the timeline, the real RTO, root cause and corrective actions filled in by people).
 */
import type { RunView } from '../runbooks/engine.js';
import type { MessageRecord } from '../store/types.js';
import { md, type Markdown } from './template.js';

export interface TimelineEntry {
  at: string;
  what: string;
}

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

const seconds = (from: string, to: string | undefined) => (to ? Math.round((Date.parse(to) - Date.parse(from)) / 1000) : undefined);
const duration = (s: number | undefined) => (s === undefined ? 'unfinished' : s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : `${Math.round(s / 60)} min ${s % 60} s`);

export interface PostRollbackReport {
  runId: string;
  startedAt: string;
  finishedAt?: string;
  returnSeconds?: number;
  divergences: string[];
  /** Each reverse pass of the rollback (during the contingency, then the catch-up after the cutback), as it ended. */
  reversePasses: Array<{ step: string; title: string; status: string; reason: string }>;
  improvements: string[];
  timeline: TimelineEntry[];
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
    return s.result.durationMs > 15 * 60_000 ? [`${s.title} took ${duration(Math.round(s.result.durationMs / 1000))}: look for what slows it`] : [];
  });
  return {
    runId: run.id,
    startedAt: run.startedAt,
    ...(run.finishedAt ? { finishedAt: run.finishedAt } : {}),
    ...(seconds(run.startedAt, run.finishedAt) !== undefined ? { returnSeconds: seconds(run.startedAt, run.finishedAt)! } : {}),
    divergences,
    reversePasses,
    improvements,
    timeline: timeline([run], messages),
  };
}

const list = (items: string[], none: string): Markdown => (items.length === 0 ? md`${none}\n` : md`${items.map((i) => md`- ${i}\n`)}`);

export function renderPostRollback(r: PostRollbackReport, now: Date): Markdown {
  return md`# Post-rollback report

Run ${r.runId}, started ${r.startedAt}. Total return time: **${duration(r.returnSeconds ?? seconds(r.startedAt, now.toISOString()))}**.

## Reverse passes

${list(r.reversePasses.map((p) => `${p.title}: ${p.status} — ${p.reason}`), 'No reverse pass ran.')}
## Divergences found

${list(r.divergences, 'None: everything written during the contingency is back on AWS.')}
## Improvements

${list(r.improvements, 'No step failed, warned or ran long.')}
## Timeline

${list(r.timeline.map((e) => `${e.at} ${e.what}`), 'Nothing recorded.')}`;
}

/** R16: written within 48 h of the activation; people fill in the cause and the actions. */
export const POST_INCIDENT_DUE_HOURS = 48;

export interface PostIncidentInput {
  rootCause: string;
  correctiveActions: Array<{ action: string; owner: string; due?: string }>;
}

export interface PostIncidentReport extends PostIncidentInput {
  runId: string;
  runbook: string;
  startedAt: string;
  /** Activation start → end of its validation; null when the validation did not finish. */
  rtoSeconds: number | null;
  dueBy: string;
  writtenAt: string;
  late: boolean;
  timeline: TimelineEntry[];
}

export function postIncidentReport(run: RunView, messages: MessageRecord[], input: PostIncidentInput, rtoEndStep: string, now: Date): PostIncidentReport {
  const end = run.steps.find((s) => s.id === rtoEndStep);
  const dueBy = new Date(Date.parse(run.startedAt) + POST_INCIDENT_DUE_HOURS * 3_600_000);
  return {
    ...input,
    runId: run.id,
    runbook: run.runbook,
    startedAt: run.startedAt,
    rtoSeconds: end?.status === 'succeeded' && end.finishedAt ? seconds(run.startedAt, end.finishedAt)! : null,
    dueBy: dueBy.toISOString(),
    writtenAt: now.toISOString(),
    late: now > dueBy,
    timeline: timeline([run], messages),
  };
}

export function renderPostIncident(r: PostIncidentReport): Markdown {
  const actions = r.correctiveActions.map((a) => `${a.action} — ${a.owner}${a.due ? `, by ${a.due}` : ''}`);
  return md`# Post-incident report

${r.runbook} run ${r.runId}, started ${r.startedAt}. Real RTO: **${r.rtoSeconds === null ? 'the validation did not finish' : duration(r.rtoSeconds)}**.
Due by ${r.dueBy}; written ${r.writtenAt}${r.late ? ' (late)' : ''}.

## Root cause

${r.rootCause}

## Corrective actions

${list(actions, 'None recorded.')}
## Timeline

${list(r.timeline.map((e) => `${e.at} ${e.what}`), 'Nothing recorded.')}`;
}
