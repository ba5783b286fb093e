/**
 * The runbooks the service offers — activation, rollback and the game-day drill — on one
 * engine, and the rules for starting them: who may, with what confirmation, and the RPO guard
 * (an activation on data older than the RPO needs a CTO's written override).
 */
import { ConflictError, ForbiddenError } from '../core/errors.js';
import type { Runbook } from '../core/runbook.js';
import type { Metrics } from '../metrics.js';
import { currentReadiness } from '../routes/readiness/current.js';
import type { SyncFlow } from '../store/types.js';
import { activationSteps, FINAL_SYNC_FLOWS } from './activation.js';
import type { RunbookDeps } from './deps.js';
import { RunbookEngine, type Caller, type RunView } from './engine.js';
import { rollbackSteps } from './rollback.js';
import type { ActivationRequest, DrillMode, RollbackRequest, RunStarter } from './starter.js';

export interface RunbookServiceOptions {
  deps: RunbookDeps;
  metrics?: Metrics;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: object) => void;
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
      // A finished activation or drill is a new RTO measurement.
      onSettled: () => o.metrics?.projectReadiness(currentReadiness({ config, store, clock })),
    });
    const activation = activationSteps(o.deps);
    const rollback = rollbackSteps(o.deps, () => this.engine);
    const runbooks: Runbook[] = [
      { name: 'activation', title: 'Activation: fail over to Azure (R6–R12)', steps: activation },
      { name: 'rollback', title: 'Rollback: return to AWS (R13)', steps: rollback },
      { name: 'game-day', title: 'Game day: activation, validation and rollback for real', steps: [...activation, ...rollback] },
    ];
    for (const runbook of runbooks) this.engine.register(runbook);
  }

  activate(request: ActivationRequest, by: Caller): RunView {
    if (!request.dryRun) this.#guardRpo(request, by);
    return this.engine.start('activation', { params: this.#params(request, by), dryRun: request.dryRun, by: by.name });
  }

  rollback(request: RollbackRequest, by: Caller): RunView {
    const params = { reason: request.reason, ...(request.since ? { since: request.since.toISOString() } : {}) };
    return this.engine.start('rollback', { params: this.#params(params, by), dryRun: request.dryRun, by: by.name });
  }

  drill(mode: DrillMode, by: Caller): RunView {
    const params = { scenario: `drill (${mode})`, reason: `a ${mode} drill started by ${by.name}` };
    if (mode === 'dry-run') return this.engine.start('activation', { params: this.#params(params, by), dryRun: true, by: by.name });
    return this.engine.start('game-day', { params: this.#params(params, by), dryRun: false, by: by.name });
  }

  #params(params: object, by: Caller): Record<string, unknown> {
    return { ...params, startedBy: by.name, startedAt: this.#deps.clock.now().toISOString() };
  }

  /** R7: refused outright when the last verified sync is older than the RPO, unless a CTO overrides with a reason. */
  #guardRpo(request: ActivationRequest, by: Caller): void {
    const { store, config, clock } = this.#deps;
    const limitMs = config.sync.rpoHours * 3_600_000;
    const stale = FINAL_SYNC_FLOWS.flatMap((flow: SyncFlow) => {
      const last = store.syncs.lastSuccess(flow);
      const at = last ? Date.parse(last.verifiedThrough ?? last.finishedAt ?? last.startedAt) : undefined;
      if (at !== undefined && clock.now().getTime() - at <= limitMs) return [];
      return [at === undefined ? `${flow} has never been synced successfully` : `the last verified ${flow} sync is ${Math.round((clock.now().getTime() - at) / 3_600_000)} h old`];
    });
    if (stale.length === 0) return;
    if (!request.overrideRpo) {
      throw new ConflictError(`${stale.join('; ')}: beyond the ${config.sync.rpoHours} h RPO. A CTO may start anyway with overrideRpo and the reason`);
    }
    if (!by.roles.includes('cto')) throw new ForbiddenError(`only a CTO may override the RPO guard (${stale.join('; ')})`);
    store.audit.append({ actor: by.name, action: 'activation.rpo-override', target: 'activation', details: { stale, reason: request.overrideRpo } });
  }
}
