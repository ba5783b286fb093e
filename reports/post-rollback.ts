/** The post-rollback report (R13.5) as Markdown: total return time, reverse passes, divergences, improvements. */
import { bulletList, formatDuration, secondsBetween } from './format.js';
import type { PostRollbackReport } from './model.js';
import { md, type Markdown } from './template.js';

/** `now` times a rollback still running: the report is written by its last step. */
export function renderPostRollback(r: PostRollbackReport, now: Date): Markdown {
  return md`# Post-rollback report

Run ${r.runId}, started ${r.startedAt}. Total return time: **${formatDuration(r.returnSeconds ?? secondsBetween(r.startedAt, now.toISOString()))}**.

## Reverse passes

${bulletList(r.reversePasses.map((p) => `${p.title}: ${p.status} — ${p.reason}`), 'No reverse pass ran.')}
## Divergences found

${bulletList(r.divergences, 'None: everything written during the contingency is back on AWS.')}
## Improvements

${bulletList(r.improvements, 'No step failed, warned or ran long.')}
## Timeline

${bulletList(r.timeline.map((e) => `${e.at} ${e.what}`), 'Nothing recorded.')}`;
}
