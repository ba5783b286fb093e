/**
 * The runbooks the service offers — activation, rollback and the game-day drill — on one
 * engine, and the rules for starting them: who may, with what confirmation, and the RPO guard
 * (an activation on data older than the RPO needs a CTO's written override).
 */
import { ConflictError, ForbiddenError } from '../core/errors.js';
import type { Notifier } from '../core/ports.js';
import { describeError, pass } from '../core/result.js';
import type { GateView, Runbook, RunView, Step } from '../core/runbook.js';
import type { Metrics } from '../metrics/index.js';
import { currentReadiness } from '../checks/current-readiness.js';
import { SYNC_FLOWS } from '../core/flows.js';
import { activationSteps } from './activation.js';
import type { RunbookDeps } from './deps.js';
import { RunbookEngine, type Caller } from './engine.js';
import { rollbackSteps } from './rollback.js';
import type { ActivationRequest, DrillMode, RollbackRequest, RunStarter } from './starter.js';

export interface RunbookServiceOptions {
  deps: RunbookDeps;
  metrics?: Metrics;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: object) => void;
  /** Who is told when a run waits at a gate (e-mail, webhook). */
  notifiers?: () => Notifier[];
  /** Among replicas: whether this one runs the steps, and its check before each act (engine.ts). */
  acting?: () => boolean;
  beforeAct?: () => Promise<void>;
}

const LEADS = ['tech-lead', 'cto'] as const;

/**
 * With four eyes on, an RPO override is not one person's: the activation waits here for a
 * second CTO, who cannot be the one who started it.
 */
const rpoOverrideStep: Step = {
  id: 'rpo-override',
  title: 'A second CTO confirms the RPO override (four eyes)',
  role: 'cto',
  skippable: false,
  gate(ctx) {
    const asked = ctx.params.rpoOverride as { stale: string; reason: string } | undefined;
    if (!asked) return undefined;
    return { id: 'rpo-override', role: 'cto', question: `${asked.stale}: beyond the RPO. ${String(ctx.params.startedBy)} asks to activate anyway (${asked.reason}): confirm (approve) or stop (reject)?` };
  },
  async verify(ctx) {
    const d = ctx.decisions.get('rpo-override');
    return pass(d ? `${d.by} confirmed the RPO override: ${d.reason}` : 'the data is within the RPO: no override to confirm');
  },
};

/** The mail and webhook a gate sends: the step, why it waits, and the command that decides. */
export function gateNotice(run: RunView, gate: GateView): { subject: string; text: string } {
  const drill = run.runbook === 'game-day' ? '[DRILL] ' : '';
  const options = gate.options ?? ['approve', 'reject'];
  const subject = `${drill}drsentinel: run ${run.id} (${run.runbook}) waits for the ${gate.role} at gate ${gate.id}`;
  const text = `${drill}${gate.kind === 'failure' ? 'A step failed' : 'A decision is needed'}: ${gate.question}\n\n` +
    `Run: ${run.id} (${run.runbook}, started by ${run.startedBy})\nGate: ${gate.id}, for the ${gate.role}\n\n` +
    `Decide with: drsentinel decide ${run.id} ${gate.id} <${options.join('|')}> --reason "…"\n` +
    `or: POST /api/v1/runs/${run.id}/approvals {"gate": "${gate.id}", "decision": "${options[0]}", "reason": "…"}\n`;
  return { subject, text };
}

export class RunbookService implements RunStarter {
  readonly engine: RunbookEngine;
  readonly #deps: RunbookDeps;

  constructor(o: RunbookServiceOptions) {
    this.#deps = o.deps;
    const { config, store, clock } = o.deps;
    this.engine = new RunbookEngine({
      store,
      clock,
      log: o.log,
      stepTimeoutMs: config.activation.stepTimeoutMinutes * 60_000,
      ...(o.metrics ? { metrics: o.metrics } : {}),
      fourEyes: config.activation.fourEyes,
      ...(o.acting ? { acting: o.acting } : {}),
      ...(o.beforeAct ? { beforeAct: o.beforeAct } : {}),
      // A finished activation or drill is a new RTO measurement.
      onSettled: () => {
        const { metrics } = o;
        if (!metrics) return;
        // Told from the run's end, which awaits no one: a failed read is logged, the gauges wait for the next.
        void currentReadiness({ config, store, clock })
          .then((readiness) => metrics.projectReadiness(readiness))
          .catch((err: unknown) => o.log('warn', `the readiness after a run could not be read: ${describeError(err)}`));
      },
      onGateOpened: (run, gate) => {
        const { subject, text } = gateNotice(run, gate);
        for (const notifier of o.notifiers?.() ?? []) {
          notifier.send({ kind: 'runbook-gate', subject, text, data: { run: run.id, runbook: run.runbook, gate: gate.id, role: gate.role, kind: gate.kind ?? 'approval' } })
            .catch((err: unknown) => o.log('warn', `the ${notifier.channel} notice of gate ${gate.id} (run ${run.id}) was not delivered: ${describeError(err)}`));
        }
      },
    });
    const activation = [rpoOverrideStep, ...activationSteps(o.deps)];
    const rollback = rollbackSteps(o.deps);
    const runbooks: Runbook[] = [
      { name: 'activation', title: 'Activation: fail over to Azure (R6–R12)', steps: activation },
      { name: 'rollback', title: 'Rollback: return to AWS (R13)', steps: rollback },
      { name: 'game-day', title: 'Game day: activation, validation and rollback for real', steps: [...activation, ...rollback] },
    ];
    for (const runbook of runbooks) this.engine.register(runbook);
  }

  async activate(request: ActivationRequest, by: Caller): Promise<RunView> {
    const rpoOverride = request.dryRun ? undefined : await this.#guardRpo(request.overrideRpo, by);
    const params = { scenario: request.scenario, reason: request.reason, ...(request.overrideRpo ? { overrideRpo: request.overrideRpo } : {}), ...(rpoOverride ? { rpoOverride } : {}) };
    return this.engine.start('activation', { params: this.#params(params, by), dryRun: request.dryRun, by: by.name });
  }

  async rollback(request: RollbackRequest, by: Caller): Promise<RunView> {
    const params = { reason: request.reason, ...(request.since ? { since: request.since.toISOString() } : {}) };
    return this.engine.start('rollback', { params: this.#params(params, by), dryRun: request.dryRun, by: by.name });
  }

  async drill(mode: DrillMode, by: Caller): Promise<RunView> {
    const params = { scenario: `drill (${mode})`, reason: `a ${mode} drill started by ${by.name}` };
    if (mode === 'dry-run') return this.engine.start('activation', { params: this.#params(params, by), dryRun: true, by: by.name });
    // A game day changes production as an activation does: a lead starts it, and not on stale data.
    if (!LEADS.some((role) => by.roles.includes(role))) throw new ForbiddenError(`a game-day drill fails production over for real: it needs the tech-lead or cto role; ${by.name} holds ${by.roles.join(', ')}`);
    const rpoOverride = await this.#guardRpo(undefined, by);
    return this.engine.start('game-day', { params: this.#params({ ...params, ...(rpoOverride ? { rpoOverride } : {}) }, by), dryRun: false, by: by.name });
  }

  #params(params: object, by: Caller): Record<string, unknown> {
    return { ...params, startedBy: by.name, startedAt: this.#deps.clock.now().toISOString() };
  }

  /**
   * R7: refused outright when the last verified sync of any flow (the site too) is older than
   * the RPO, unless a CTO overrides with a reason; with four eyes, the override waits at gate
   * rpo-override for a second CTO (what that gate needs is returned).
   */
  async #guardRpo(overrideRpo: string | undefined, by: Caller): Promise<{ stale: string; reason: string } | undefined> {
    const { store, config, clock } = this.#deps;
    const limitMs = config.sync.rpoHours * 3_600_000;
    const lastSuccesses = await Promise.all(SYNC_FLOWS.map((flow) => store.syncs.lastSuccess(flow)));
    const stale = SYNC_FLOWS.flatMap((flow, i) => {
      const last = lastSuccesses[i];
      const at = last ? Date.parse(last.verifiedThrough ?? last.finishedAt ?? last.startedAt) : undefined;
      if (at !== undefined && clock.now().getTime() - at <= limitMs) return [];
      return [at === undefined ? `${flow} has never been synced successfully` : `the last verified ${flow} sync is ${Math.round((clock.now().getTime() - at) / 3_600_000)} h old`];
    });
    if (stale.length === 0) return undefined;
    if (!overrideRpo) {
      throw new ConflictError(`${stale.join('; ')}: beyond the ${config.sync.rpoHours} h RPO. A CTO may start anyway with overrideRpo and the reason`);
    }
    const { fourEyes } = config.activation;
    if (!fourEyes && !by.roles.includes('cto')) throw new ForbiddenError(`only a CTO may override the RPO guard (${stale.join('; ')})`);
    await store.audit.append({ actor: by.name, action: 'activation.rpo-override', target: 'activation', details: { stale, reason: overrideRpo, fourEyes } });
    return fourEyes ? { stale: stale.join('; '), reason: overrideRpo } : undefined;
  }
}
