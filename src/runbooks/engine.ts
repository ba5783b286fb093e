/**
 * Runs runbooks as sagas: every step's state is written to the store before the next step
 * starts, so a run survives a crash and resumes at its first unfinished step; an act is
 * recorded as done the moment it returns and is never repeated by a resume; gates stop the
 * run until a person holding the gate's role decides; a dry-run reads and verifies, never acts.
 */
import { randomUUID } from 'node:crypto';
import type { RoleName } from '../config/schema.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, ForbiddenError, NotFoundError, UsageError } from '../core/errors.js';
import { describeError, fail, warn, type Outcome, type Result } from '../core/result.js';
import type { GateRequirement, Runbook, Step, StepContext } from '../core/runbook.js';
import type { Metrics } from '../metrics.js';
import type { RunbookRunRecord, StepRecord, Store } from '../store/types.js';

export interface GateView extends GateRequirement {
  status: 'pending' | 'approved' | 'rejected';
  by?: string;
  reason?: string;
}

export interface RunView {
  id: string;
  runbook: string;
  status: RunbookRunRecord['status'];
  dryRun: boolean;
  params: Record<string, unknown>;
  startedBy: string;
  startedAt: string;
  finishedAt?: string;
  steps: Array<{ id: string; title: string; role: RoleName; status: StepRecord['status']; startedAt?: string; finishedAt?: string; result?: Result }>;
  gates: GateView[];
}

export interface Caller {
  name: string;
  roles: readonly RoleName[];
}

export interface EngineOptions {
  store: Store;
  clock: Clock;
  metrics?: Metrics;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: object) => void;
  /** Default limit of one step's act + verify. */
  stepTimeoutMs: number;
  /** Told whenever a run stops executing here (finished, waiting at a gate, aborted). */
  onSettled?: (runId: string) => void;
}

type Decisions = StepContext['decisions'];

export class RunbookEngine {
  readonly #o: EngineOptions;
  readonly #runbooks = new Map<string, Runbook>();
  /** Runs executing in this process, with the means to stop them. */
  readonly #active = new Map<string, { abort: AbortController; done: Promise<void> }>();

  constructor(o: EngineOptions) {
    this.#o = o;
  }

  register(runbook: Runbook): void {
    this.#runbooks.set(runbook.name, runbook);
  }

  /** Records the run and its steps, then executes it in the background. */
  start(runbookName: string, o: { params: Record<string, unknown>; dryRun: boolean; by: string }): RunView {
    const runbook = this.#runbook(runbookName);
    if (!o.dryRun) {
      const live = this.#o.store.runs.list(50).find((r) => !r.dryRun && (r.status === 'running' || r.status === 'awaiting-approval'));
      if (live) throw new ConflictError(`run ${live.id} (${live.runbook}) is still ${live.status}: finish or abort it before starting another live run`);
    }
    const id = randomUUID();
    this.#o.store.runs.create(
      { id, runbook: runbook.name, dryRun: o.dryRun, params: o.params, startedBy: o.by },
      runbook.steps.map((s) => ({ stepId: s.id, title: s.title })),
    );
    this.#audit(o.by, o.dryRun ? 'runbook.dry-run' : 'runbook.start', id, { runbook: runbook.name, params: o.params });
    this.#launch(id);
    return this.view(id);
  }

  /** Runs left `running` by a stop or a crash go on from their first unfinished step. */
  resumeInterrupted(): string[] {
    const resumed = this.#o.store.runs
      .list(200)
      .filter((r) => r.status === 'running' && this.#runbooks.has(r.runbook) && !this.#active.has(r.id))
      .map((r) => r.id);
    for (const id of resumed) {
      this.#o.log('warn', `runbook run ${id} was interrupted: resuming at its first unfinished step`);
      this.#launch(id);
    }
    return resumed;
  }

  list(limit: number): Array<Omit<RunbookRunRecord, 'params'>> {
    return this.#o.store.runs.list(limit).map(({ params: _params, ...run }) => run);
  }

  view(id: string): RunView {
    const run = this.#o.store.runs.get(id);
    if (!run) throw new NotFoundError(`runbook run ${id} does not exist`);
    const runbook = this.#runbook(run.runbook);
    const records = this.#o.store.runs.steps(id);
    const decisions = this.#decisions(id);
    const ctx = this.#context(run, records, decisions, new AbortController().signal);
    const gates: GateView[] = [];
    const steps = runbook.steps.map((step) => {
      const record = records.find((r) => r.stepId === step.id);
      if (record && record.status !== 'pending' && step.gate) {
        const gate = step.gate(ctx);
        // A dry-run opens no gate: its step says who would have been asked.
        if (gate && !run.dryRun) gates.push(gateView(gate, decisions));
      }
      return {
        id: step.id,
        title: step.title,
        role: step.role,
        status: record?.status ?? 'pending',
        ...(record?.startedAt ? { startedAt: record.startedAt } : {}),
        ...(record?.finishedAt ? { finishedAt: record.finishedAt } : {}),
        ...(record?.result ? { result: record.result } : {}),
      };
    });
    const { id: _id, ...rest } = run;
    return { id, ...rest, steps, gates };
  }

  /** A decision at the gate the run waits at. A replay of a decision already taken changes nothing. */
  decide(id: string, o: { gate: string; decision: 'approve' | 'reject'; reason: string; by: Caller }): { view: RunView; replayed: boolean } {
    const view = this.view(id);
    if (view.dryRun) throw new ConflictError(`run ${id} is a dry-run: it opens no gate and takes no decision`);
    const gate = view.gates.find((g) => g.id === o.gate);
    if (!gate) throw new NotFoundError(`run ${id} has no gate "${o.gate}" open${view.gates.length ? ` (gates: ${view.gates.map((g) => g.id).join(', ')})` : ''}`);
    if (!o.by.roles.includes(gate.role)) throw new ForbiddenError(`gate "${gate.id}" needs the ${gate.role} role; ${o.by.name} holds ${o.by.roles.join(', ')}`);
    if (gate.status !== 'pending') return { view, replayed: true };
    if (o.reason.trim() === '') throw new UsageError('a decision needs a reason');
    const recorded = this.#o.store.runs.addApproval({
      runId: id, gate: gate.id, role: gate.role, decision: o.decision, by: o.by.name, reason: o.reason, at: this.#o.clock.now().toISOString(),
    });
    if (!recorded) return { view: this.view(id), replayed: true };
    this.#audit(o.by.name, `runbook.gate.${o.decision}`, id, { gate: gate.id, role: gate.role, reason: o.reason });
    if (view.status === 'awaiting-approval') {
      this.#o.store.runs.setStatus(id, 'running');
      this.#launch(id);
    }
    return { view: this.view(id), replayed: false };
  }

  /** Stops a run between steps (and its current step through its signal); with `undo`, puts back what its acts changed, newest first. */
  async abort(id: string, o: { by: string; reason: string; undo?: boolean }): Promise<RunView> {
    const run = this.#o.store.runs.get(id);
    if (!run) throw new NotFoundError(`runbook run ${id} does not exist`);
    if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'aborted') {
      throw new ConflictError(`run ${id} is already ${run.status}`);
    }
    this.#o.store.runs.setStatus(id, 'aborted');
    this.#audit(o.by, 'runbook.abort', id, { reason: o.reason, undo: o.undo === true });
    const active = this.#active.get(id);
    active?.abort.abort(new Error(`aborted by ${o.by}: ${o.reason}`));
    await active?.done;
    if (o.undo) await this.#undo(id, o.by);
    return this.view(id);
  }

  /** Resolves when the run stops executing in this process (finished, waiting at a gate, or aborted). */
  async settled(id: string): Promise<RunView> {
    await this.#active.get(id)?.done;
    return this.view(id);
  }

  /** Lets running steps see their signal abort, then waits for them (service shutdown). */
  async close(): Promise<void> {
    for (const { abort } of this.#active.values()) abort.abort(new Error('the service is shutting down'));
    await Promise.all([...this.#active.values()].map((a) => a.done));
  }

  #runbook(name: string): Runbook {
    const runbook = this.#runbooks.get(name);
    if (!runbook) throw new NotFoundError(`no runbook named "${name}" (known: ${[...this.#runbooks.keys()].join(', ')})`);
    return runbook;
  }

  #launch(id: string): void {
    if (this.#active.has(id)) return;
    const abort = new AbortController();
    const done = this.#execute(id, abort.signal)
      .catch((err: unknown) => this.#o.log('error', `runbook run ${id} stopped on an unexpected error`, { err }))
      .finally(() => {
        this.#active.delete(id);
        this.#o.onSettled?.(id);
      });
    this.#active.set(id, { abort, done });
  }

  async #execute(id: string, signal: AbortSignal): Promise<void> {
    const runs = this.#o.store.runs;
    const run = runs.get(id)!;
    const runbook = this.#runbook(run.runbook);
    for (const step of runbook.steps) {
      if (signal.aborted || runs.get(id)!.status === 'aborted') return;
      const records = runs.steps(id);
      const record = records.find((r) => r.stepId === step.id)!;
      if (record.status === 'succeeded' || record.status === 'skipped') continue;
      const ctx = this.#context(run, records, this.#decisions(id), signal);
      const started = record.startedAt ?? this.#o.clock.now().toISOString();
      runs.updateStep(id, step.id, { status: 'running', startedAt: started });

      const gate = step.gate?.(ctx);
      const decision = gate && ctx.decisions.get(gate.id);
      if (gate && !decision && !run.dryRun) {
        runs.setStatus(id, 'awaiting-approval');
        this.#o.log('info', `run ${id} waits at gate "${gate.id}" for the ${gate.role}: ${gate.question}`);
        return;
      }
      if (decision?.decision === 'reject') {
        this.#finishStep(run, step, started, fail(`${step.title}: rejected by ${decision.by} at gate "${gate!.id}": ${decision.reason}`, { gate: gate!.id }));
        runs.setStatus(id, 'failed');
        return;
      }

      const outcome = await this.#actAndVerify(run, step, record, ctx, gate);
      if (signal.aborted || runs.get(id)!.status === 'aborted') {
        runs.updateStep(id, step.id, { status: 'failed', finishedAt: this.#o.clock.now().toISOString(), result: this.#result(started, fail(`${step.title}: aborted`)) });
        return;
      }
      this.#finishStep(run, step, started, outcome);
      if (outcome.status === 'fail') {
        runs.setStatus(id, 'failed');
        return;
      }
    }
    runs.setStatus(id, 'succeeded');
    this.#o.log('info', `run ${id} (${runbook.name}${run.dryRun ? ', dry-run' : ''}) succeeded`);
  }

  async #actAndVerify(run: RunbookRunRecord, step: Step, record: StepRecord, ctx: StepContext, gate: GateRequirement | undefined): Promise<Outcome> {
    const timeoutMs = step.timeoutMs ?? this.#o.stepTimeoutMs;
    // A timer of our own rather than AbortSignal.timeout, whose timer does not keep the process alive.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout.signal]);
    const stepCtx = { ...ctx, signal };
    try {
      if (step.act && !record.actDoneAt && !run.dryRun) {
        this.#audit(run.startedBy, 'runbook.act', run.id, { step: step.id });
        await raceSignal(step.act(stepCtx), signal, timeoutMs);
        this.#o.store.runs.updateStep(run.id, step.id, { actDoneAt: this.#o.clock.now().toISOString() });
      }
      const outcome = await raceSignal(step.verify(stepCtx), signal, timeoutMs);
      if (!run.dryRun) return outcome;
      // A dry-run acts on nothing: what the act would have changed is a finding, not a failure.
      const would = gate ? ` (would wait for the ${gate.role}: ${gate.question})` : '';
      // Nor does a state that earlier acts would have brought about: a dry-run reports, it does not fail.
      if (outcome.status === 'fail') {
        const finding = step.act ? 'the act would be needed' : 'not so now';
        return warn(`dry-run: ${finding} — ${outcome.reason}${would}`, outcome.evidence, outcome.measurements);
      }
      return would ? { ...outcome, reason: `${outcome.reason}${would}` } : outcome;
    } catch (err) {
      return fail(`${step.title}: ${describeError(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  #finishStep(run: RunbookRunRecord, step: Step, startedAt: string, outcome: Outcome): void {
    const result = this.#result(startedAt, outcome);
    this.#o.store.runs.updateStep(run.id, step.id, {
      status: outcome.status === 'fail' ? 'failed' : 'succeeded',
      finishedAt: this.#o.clock.now().toISOString(),
      result,
    });
    this.#o.metrics?.runbookStepDurationSeconds.set({ runbook: run.dryRun ? `${run.runbook}:dry-run` : run.runbook, step: step.id }, result.durationMs / 1000);
  }

  #result(startedAt: string, outcome: Outcome): Result {
    return { ...outcome, startedAt, durationMs: Math.max(0, this.#o.clock.now().getTime() - Date.parse(startedAt)) };
  }

  async #undo(id: string, by: string): Promise<void> {
    const run = this.#o.store.runs.get(id)!;
    const runbook = this.#runbook(run.runbook);
    const records = this.#o.store.runs.steps(id);
    const ctx = this.#context(run, records, this.#decisions(id), AbortSignal.timeout(this.#o.stepTimeoutMs * runbook.steps.length));
    for (const step of [...runbook.steps].reverse()) {
      const record = records.find((r) => r.stepId === step.id);
      if (!record?.actDoneAt || !step.undo) continue;
      this.#audit(by, 'runbook.undo', id, { step: step.id });
      try {
        await step.undo(ctx);
      } catch (err) {
        this.#o.log('error', `undo of step ${step.id} of run ${id} failed: ${describeError(err)}`);
        this.#audit(by, 'runbook.undo-failed', id, { step: step.id, error: describeError(err) });
      }
    }
  }

  #decisions(id: string): Decisions {
    return new Map(this.#o.store.runs.approvals(id).map((a) => [a.gate, { decision: a.decision, by: a.by, reason: a.reason }]));
  }

  #context(run: RunbookRunRecord, records: StepRecord[], decisions: Decisions, signal: AbortSignal): StepContext {
    const results = new Map(records.flatMap((r) => (r.result && r.status !== 'running' ? [[r.stepId, r.result] as const] : [])));
    return {
      runId: run.id,
      runbook: run.runbook,
      dryRun: run.dryRun,
      params: run.params,
      results,
      decisions,
      signal,
      now: () => this.#o.clock.now(),
      log: (message, fields) => this.#o.log('info', `run ${run.id}: ${message}`, fields),
    };
  }

  #audit(actor: string, action: string, target: string, details: Record<string, unknown>): void {
    this.#o.store.audit.append({ actor, action, target, details });
  }
}

function gateView(gate: GateRequirement, decisions: Decisions): GateView {
  const decision = decisions.get(gate.id);
  if (!decision) return { ...gate, status: 'pending' };
  return { ...gate, status: decision.decision === 'approve' ? 'approved' : 'rejected', by: decision.by, reason: decision.reason };
}

/** Settles with the promise, or rejects as soon as the signal aborts (a timeout says so). */
function raceSignal<T>(promise: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      const reason = signal.reason as unknown;
      reject(reason instanceof DOMException && reason.name === 'TimeoutError' ? new Error(`timed out after ${timeoutMs} ms`) : reason instanceof Error ? reason : new Error('aborted'));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
