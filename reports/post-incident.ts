/** The post-incident report (R16) as Markdown: the real RTO, root cause, corrective actions, timeline. */
import { bulletList, formatDuration } from './format.js';
import type { PostIncidentReport } from './model.js';
import { md, type Markdown } from './template.js';

export function renderPostIncident(r: PostIncidentReport): Markdown {
  const actions = r.correctiveActions.map((a) => `${a.action} — ${a.owner}${a.due ? `, by ${a.due}` : ''}`);
  return md`# Post-incident report

${r.runbook} run ${r.runId}, started ${r.startedAt}. Real RTO: **${r.rtoSeconds === null ? 'the validation did not finish' : formatDuration(r.rtoSeconds)}**.
Due by ${r.dueBy}; written ${r.writtenAt}${r.late ? ' (late)' : ''}.

## Root cause

${r.rootCause}

## Corrective actions

${bulletList(actions, 'None recorded.')}
## Timeline

${bulletList(r.timeline.map((e) => `${e.at} ${e.what}`), 'Nothing recorded.')}`;
}
