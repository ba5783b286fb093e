/** A step that is only a decision: it waits for `role`, and its result says who decided and why. */
import type { RoleName } from '../core/roles.js';
import { pass } from '../core/result.js';
import type { Step } from '../core/runbook.js';

export function checkpoint(o: { id: string; title: string; role: RoleName; question: string; decider: string }): Step {
  return {
    id: o.id,
    title: o.title,
    role: o.role,
    gate: () => ({ id: o.id, role: o.role, question: o.question }),
    async verify(ctx) {
      const d = ctx.decisions.get(o.id);
      return pass(d ? `${o.decider} (${d.by}) decided to go on: ${d.reason}` : `dry-run: ${o.decider} would decide here: ${o.question}`);
    },
  };
}
