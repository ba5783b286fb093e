/**
 * Runs runbooks as sagas: every step's state is written to the store before the next step
 * starts, so a run survives a crash and resumes at its first unfinished step; an act is
 * recorded as begun before it starts and as done the moment it returns, and is never repeated
 * by a resume; gates stop the run until a person holding the gate's role decides; a failed step
 * of a live run stops it at a failure gate (retry, roll back every act, or skip); a dry-run
 * reads and verifies, never acts.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RoleName } from '../core/roles.js';
import type { Clock } from '../core/clock.js';
import { ConflictError, FencedError, ForbiddenError, NotFoundError, UsageError } from '../core/errors.js';
import { describeError, fail, pass, skip, warn, type Outcome, type Result } from '../core/result.js';
import { FAILURE_OPTIONS, type Decision, type GateRequirement, type GateView, type Runbook, type RunView, type Step, type StepContext } from '../core/runbook.js';
import type { Metrics } from '../metrics/index.js';
import type { RunbookRunRecord, StepRecord, Store } from '../store/types.js';

export type { GateView, RunView } from '../core/runbook.js';

export interface Caller {
  name: string;
  roles: readonly RoleName[];
}

export interface EngineOptions {
  store: Store;
  clock: Clock;
  metrics?: Metrics;
  log: (level: 'info' | 'warn' | 'error', msg: string, fields?: object) => void;
  /** Default limit of one step's act, and of its verify. */
  stepTimeoutMs: number;
  /** Told whenever a run stops executing here (finished, waiting at a gate, aborted). */
  onSettled?: (runId: string) => void;
  /** Told when a live run starts waiting at a gate, a failure gate included: the people are asked. */
  onGateOpened?: (run: RunView, gate: GateView) => void;
  /** Four eyes: nobody decides a gate of a run they started. */
  fourEyes?: boolean;
  /** How long an abort waits for the act in flight to settle before it records anything. */
  abortSettleMs?: number;
  /**
   * Whether this process runs the steps: it is alone on its store, or it leads the replicas.
   * A follower records what it is asked (runs, decisions, aborts) and the leader acts on it.
   */
  acting?: () => boolean;
  /** Before each act: throws (FencedError) unless this process may still act. */
  beforeAct?: () => Promise<void>;
}

type Decisions = StepContext['decisions'];
type StepPatch = Parameters<Store['runs']['updateStep']>[2];
/** Runs `work` without the run's lock, and takes it back after. */
type Unlocked = <T>(work: () => Promise<T>) => Promise<T>;

const DEFAULT_ABORT_SETTLE_MS = 30_000;
/** Runs that ended this way take no abort: nothing is left to stop or to undo. */
const CLOSED = new Set(['succeeded', 'compensated', 'aborted']);

/** The n-th failure gate of a step: `recover-<step>`, then `recover-<step>-2`, … */
const failureGateId = (stepId: string, n: number) => (n === 1 ? `recover-${stepId}` : `recover-${stepId}-${n}`);

/** A step's failure gates: those decided (oldest first), the last decision, and the gate it would ask at next. */
function failureGatesOf(stepId: string, decisions: Decisions) {
  const decided: string[] = [];
  while (decisions.has(failureGateId(stepId, decided.length + 1))) decided.push(failureGateId(stepId, decided.length + 1));
  const last = decided.length > 0 ? decisions.get(decided.at(-1)!) : undefined;
  return { decided, last, next: failureGateId(stepId, decided.length + 1) };
}

/** What the acts done so far handed on, by step id. */
const outputsOf = (records: readonly StepRecord[]) => new Map(records.flatMap((r) => (r.output === undefined ? [] : [[r.stepId, r.output] as const])));

function failureGate(step: Step, record: StepRecord, id: string): GateRequirement {
  return {
    id,
    kind: 'failure',
    role: 'tech-lead',
    question: `${step.title} failed: ${record.result?.reason ?? 'no reason recorded'}. Retry the step, roll back every act done so far (newest first), or skip it (cto only)?`,
    options: FAILURE_OPTIONS,
  };
}

function gateView(gate: GateRequirement, decisions: Decisions): GateView {
  const decision = decisions.get(gate.id);
  if (!decision) return { ...gate, status: 'pending' };
  const status = gate.kind === 'failure' ? 'decided' : decision.decision === 'approve' ? 'approved' : 'rejected';
  return { ...gate, status, decision: decision.decision, by: decision.by, reason: decision.reason };
}

export class RunbookEngine {
  readonly #o: EngineOptions;
  readonly #runbooks = new Map<string, Runbook>();
  /** Runs executing in this process, with the means to stop them. */
  readonly #active = new Map<string, { abort: AbortController; done: Promise<void> }>();
  /** Per run, what the next holder of its lock waits for (see #hold). */
  readonly #locks = new Map<string, Promise<void>>();
  /** Set by close: a decision that comes during a shutdown launches nothing. */
  #closing = false;
  /** Runs being started here: launched by `start` itself, not picked up by `carryOn`. */
  readonly #starting = new Set<string>();
  /** Aborts asked on a follower, being carried out here. */
  readonly #aborting = new Set<string>();

  constructor(o: EngineOptions) {
    this.#o = o;
  }

  register(runbook: Runbook): void {
    this.#runbooks.set(runbook.name, runbook);
  }

  /** Records the run and its steps, then executes it in the background. A second live run is refused by the store. */
  async start(runbookName: string, o: { params: Record<string, unknown>; dryRun: boolean; by: string }): Promise<RunView> {
    const runbook = this.#runbook(runbookName);
    const id = randomUUID();
    this.#starting.add(id);
    try {
      await this.#o.store.runs.create(
        { id, runbook: runbook.name, dryRun: o.dryRun, params: o.params, startedBy: o.by },
        runbook.steps.map((s) => ({ stepId: s.id, title: s.title })),
      );
      await this.#audit(o.by, o.dryRun ? 'runbook.dry-run' : 'runbook.start', id, { runbook: runbook.name, params: o.params });
      if (this.#acting()) this.#launch(id);
    } finally {
      this.#starting.delete(id);
    }
    return this.view(id);
  }

  /**
   * The leader's round over the store: every run left running here or elsewhere (a crash, a
   * decision taken on a follower) goes on from its first unfinished step, and every abort asked
   * on a follower is carried out. Returns the runs it set going.
   */
  async carryOn(): Promise<string[]> {
    if (!this.#acting()) return [];
    const launched: string[] = [];
    for (const run of await this.#o.store.runs.active()) {
      if (!this.#runbooks.has(run.runbook) || this.#starting.has(run.id)) continue;
      if (run.abortRequest) {
        this.#carryOutAbort(run.id, run.abortRequest);
      } else if (run.status === 'running' && !this.#active.has(run.id)) {
        this.#launch(run.id);
        launched.push(run.id);
      }
    }
    return launched;
  }

  #carryOutAbort(id: string, request: NonNullable<RunbookRunRecord['abortRequest']>): void {
    if (this.#aborting.has(id)) return;
    this.#aborting.add(id);
    this.abort(id, { by: request.by, reason: request.reason, undo: request.undo })
      .catch((err: unknown) => this.#o.log('warn', `the abort of run ${id} asked by ${request.by} was not carried out: ${describeError(err)}`))
      .finally(() => this.#aborting.delete(id));
  }

  /** No longer the leader: every run executing here stops at once and writes nothing more (the store would refuse it). */
  async standDown(): Promise<void> {
    const active = [...this.#active.values()];
    for (const { abort } of active) abort.abort(new FencedError('this replica no longer leads'));
    const settleMs = this.#o.abortSettleMs ?? DEFAULT_ABORT_SETTLE_MS;
    await Promise.race([Promise.all(active.map((a) => a.done)), sleep(settleMs, undefined, { ref: false })]);
  }

  #acting(): boolean {
    return !this.#closing && (this.#o.acting?.() ?? true);
  }

  /** Runs left `running` by a stop or a crash (a decision recorded but not acted on included) go on from their first unfinished step. */
  async resumeInterrupted(): Promise<string[]> {
    const resumed = await this.carryOn();
    for (const id of resumed) this.#o.log('warn', `runbook run ${id} was interrupted: resuming at its first unfinished step`);
    return resumed;
  }

  async list(limit: number): Promise<Array<Omit<RunbookRunRecord, 'params'>>> {
    return (await this.#o.store.runs.list(limit)).map(({ params: _params, ...run }) => run);
  }

  async view(id: string): Promise<RunView> {
    const run = await this.#o.store.runs.get(id);
    if (!run) throw new NotFoundError(`runbook run ${id} does not exist`);
    return this.#viewOf(run, await this.#o.store.runs.steps(id), await this.#decisions(id));
  }

  /** The run as people see it, from what was read of it. */
  #viewOf(run: RunbookRunRecord, records: StepRecord[], decisions: Decisions): RunView {
    const runbook = this.#runbook(run.runbook);
    const steps = runbook.steps.map((step) => {
      const record = records.find((r) => r.stepId === step.id);
      return {
        id: step.id,
        title: step.title,
        role: step.role,
        status: record?.status ?? 'pending',
        ...(record?.startedAt ? { startedAt: record.startedAt } : {}),
        ...(record?.finishedAt ? { finishedAt: record.finishedAt } : {}),
        ...(record?.actDoneAt ? { actedAt: record.actDoneAt } : {}),
        ...(record?.waitUntil ? { waitUntil: record.waitUntil } : {}),
        ...(record?.result ? { result: record.result } : {}),
        ...(record?.undoResult ? { undo: record.undoResult } : {}),
      };
    });
    const { id, ...rest } = run;
    const view: RunView = { id, ...rest, steps, gates: [] };
    // A gate is asked with the run as it stands so far: its steps, and the gates before its own.
    const ctx = this.#context(run, records, decisions, new AbortController().signal, view);
    for (const step of runbook.steps) {
      const record = records.find((r) => r.stepId === step.id);
      // A dry-run opens no gate: its step says who would have been asked.
      if (record && record.status !== 'pending' && !run.dryRun) view.gates.push(...this.#gatesOf(run, step, record, ctx));
    }
    return view;
  }

  /**
   * A decision at a gate of the run. The same decision repeated is a replay and changes
   * nothing; a contradicting one is refused (409) naming the decision that stands. The
   * decision, its audit row, the run's new status and the step it frees are one transaction.
   * Taken under the run's lock: an abort or the run itself does not change it between the
   * read and the write.
   */
  decide(id: string, o: { gate: string; decision: Decision; reason: string; by: Caller }): Promise<{ view: RunView; replayed: boolean }> {
    return this.#serially(id, () => this.#decide(id, o));
  }

  async #decide(id: string, o: { gate: string; decision: Decision; reason: string; by: Caller }): Promise<{ view: RunView; replayed: boolean }> {
    const view = await this.view(id);
    if (view.dryRun) throw new ConflictError(`run ${id} is a dry-run: it opens no gate and takes no decision`);
    const gate = view.gates.find((g) => g.id === o.gate);
    if (!gate) throw new NotFoundError(`run ${id} has no gate "${o.gate}" open${view.gates.length ? ` (gates: ${view.gates.map((g) => g.id).join(', ')})` : ''}`);
    const options: readonly Decision[] = gate.options ?? ['approve', 'reject'];
    if (!options.includes(o.decision)) throw new UsageError(`gate "${gate.id}" takes ${options.join(', ')}, not "${o.decision}"`);
    // A CTO outranks the Incident Commander at a failure gate: skip is a CTO's call there anyway.
    const mayDecide = o.by.roles.includes(gate.role) || (gate.kind === 'failure' && o.by.roles.includes('cto'));
    if (!mayDecide) throw new ForbiddenError(`gate "${gate.id}" needs the ${gate.role} role; ${o.by.name} holds ${o.by.roles.join(', ')}`);
    if (gate.status !== 'pending') return this.#replay(id, gate, o.decision);
    if (o.reason.trim() === '') throw new UsageError('a decision needs a reason');
    if (this.#o.fourEyes && o.by.name === view.startedBy) throw new ForbiddenError(`four eyes (activation.fourEyes): ${o.by.name} started run ${id} and cannot decide its gate "${gate.id}"; another person holding ${gate.role} must`);
    const freed = gate.kind === 'failure' ? this.#freedStep(view, gate, o) : undefined;
    const status = view.status === 'awaiting-approval' ? 'running' : view.status;
    const at = this.#o.clock.now().toISOString();
    const recorded = await this.#o.store.runs.decide(
      { runId: id, gate: gate.id, role: gate.role, decision: o.decision, by: o.by.name, reason: o.reason, at },
      { actor: o.by.name, action: `runbook.gate.${o.decision}`, target: id, details: { gate: gate.id, role: gate.role, reason: o.reason } },
      status,
      freed,
    );
    // Another decision won the race between our read and our write.
    if (!recorded) return this.#replay(id, (await this.view(id)).gates.find((g) => g.id === gate.id)!, o.decision);
    if (status === 'running' && this.#acting()) this.#launch(id);
    return { view: await this.view(id), replayed: false };
  }

  /**
   * Stops a run (its act in flight is given a bounded time to settle); with `undo`, puts back
   * what its acts changed, newest first. Refused only for runs that ended succeeded,
   * compensated or already aborted.
   */
  async abort(id: string, o: { by: string; reason: string; undo?: boolean }): Promise<RunView> {
    if (!this.#acting()) return this.#askLeaderToAbort(id, o);
    // Under the run's lock: the run does not finish between the check and the write.
    await this.#serially(id, async () => {
      const run = await this.#o.store.runs.get(id);
      if (!run) throw new NotFoundError(`runbook run ${id} does not exist`);
      if (CLOSED.has(run.status)) throw new ConflictError(`run ${id} is already ${run.status}: nothing is left to stop${run.status === 'aborted' ? ' or to undo' : ''}`);
      await this.#o.store.runs.setStatus(id, 'aborted');
      await this.#audit(o.by, 'runbook.abort', id, { reason: o.reason, undo: o.undo === true });
    });
    const active = this.#active.get(id);
    active?.abort.abort(new Error(`aborted by ${o.by}: ${o.reason}`));
    if (active) {
      const settleMs = this.#o.abortSettleMs ?? DEFAULT_ABORT_SETTLE_MS;
      const settled = await Promise.race([active.done.then(() => true), sleep(settleMs, false, { ref: false })]);
      if (!settled) this.#o.log('warn', `run ${id}: the act in flight did not settle within ${settleMs} ms of the abort; it counts as done for the undo`);
    }
    if (o.undo) await this.#compensate(id, o.by);
    return this.view(id);
  }

  /** Resolves when the run stops executing in this process (finished, waiting at a gate, or aborted). */
  async settled(id: string): Promise<RunView> {
    await this.#active.get(id)?.done;
    return this.view(id);
  }

  /** Lets running steps see their signal abort, then waits for them (service shutdown). */
  async close(): Promise<void> {
    this.#closing = true;
    for (const { abort } of this.#active.values()) abort.abort(new Error('the service is shutting down'));
    await Promise.all([...this.#active.values()].map((a) => a.done));
  }

  #runbook(name: string): Runbook {
    const runbook = this.#runbooks.get(name);
    if (!runbook) throw new NotFoundError(`no runbook named "${name}" (known: ${[...this.#runbooks.keys()].join(', ')})`);
    return runbook;
  }

  /** The gates a step has asked so far: its approval gate, and its failure gates, decided or pending. */
  #gatesOf(run: RunbookRunRecord, step: Step, record: StepRecord, ctx: StepContext): GateView[] {
    const gates: GateView[] = [];
    const asked = step.gate?.(ctx);
    if (asked) gates.push(gateView(asked, ctx.decisions));
    const { decided, last, next } = failureGatesOf(step.id, ctx.decisions);
    for (const gateId of decided) gates.push(gateView(failureGate(step, record, gateId), ctx.decisions));
    if (record.status === 'failed' && run.status === 'awaiting-approval' && last?.decision !== 'rollback') {
      gates.push(gateView(failureGate(step, record, next), ctx.decisions));
    }
    return gates;
  }

  async #replay(id: string, gate: GateView, decision: Decision): Promise<{ view: RunView; replayed: boolean }> {
    if (gate.decision === decision) return { view: await this.view(id), replayed: true };
    throw new ConflictError(`gate "${gate.id}" of run ${id} was already decided: ${gate.decision} by ${gate.by} (${gate.reason}); that decision stands`);
  }

  /** What a failure decision does to its step, written with the decision: retry runs it again, skip passes it by. */
  #freedStep(view: RunView, gate: GateView, o: { decision: Decision; reason: string; by: Caller }): { stepId: string; patch: StepPatch } | undefined {
    const runbook = this.#runbook(view.runbook);
    const step = runbook.steps.find((s) => gate.id === `recover-${s.id}` || gate.id.startsWith(`recover-${s.id}-`))!;
    if (o.decision === 'retry') return { stepId: step.id, patch: { status: 'pending' } };
    if (o.decision !== 'skip') return undefined;
    if (!o.by.roles.includes('cto')) throw new ForbiddenError(`skipping a failed step needs the cto role; ${o.by.name} holds ${o.by.roles.join(', ')}`);
    if (step.skippable === false) throw new ConflictError(`step ${step.id} cannot be skipped: ${step.title} must hold before the run goes on; retry it or roll back`);
    const now = this.#o.clock.now().toISOString();
    return { stepId: step.id, patch: { status: 'skipped', finishedAt: now, result: { ...skip(`skipped by ${o.by.name} after it failed: ${o.reason}`), startedAt: now, durationMs: 0 } } };
  }

  /**
   * On a follower: the abort is recorded for the leader, which carries it out; the answer waits,
   * bounded, for the run to be stopped (and its acts undone) there.
   */
  async #askLeaderToAbort(id: string, o: { by: string; reason: string; undo?: boolean }): Promise<RunView> {
    const run = await this.#o.store.runs.get(id);
    if (!run) throw new NotFoundError(`runbook run ${id} does not exist`);
    if (CLOSED.has(run.status)) throw new ConflictError(`run ${id} is already ${run.status}: nothing is left to stop${run.status === 'aborted' ? ' or to undo' : ''}`);
    await this.#o.store.runs.requestAbort(id, { by: o.by, reason: o.reason, undo: o.undo === true, at: this.#o.clock.now().toISOString() });
    const deadline = Date.now() + (this.#o.abortSettleMs ?? DEFAULT_ABORT_SETTLE_MS) + 120_000;
    for (;;) {
      const run = await this.#o.store.runs.get(id);
      const undone = !o.undo || (await this.#o.store.runs.steps(id)).every((s) => !s.actStartedAt || s.undoResult);
      if ((run?.status === 'aborted' && undone) || Date.now() > deadline) return this.view(id);
      await sleep(250);
    }
  }

  #launch(id: string): void {
    if (!this.#acting()) return;
    const active = this.#active.get(id);
    // A decision taken as the run stopped at its gate, before it was done stopping: it goes on
    // once it is, if it is still to run then (not waiting at its next gate, nor ended).
    if (active) {
      void active.done.then(async () => {
        if ((await this.#o.store.runs.get(id))?.status === 'running') this.#launch(id);
      }).catch((err: unknown) => this.#o.log('error', `runbook run ${id} could not be set going again: ${describeError(err)}`));
      return;
    }
    const abort = new AbortController();
    const done = this.#locked(id, (unlocked) => this.#execute(id, abort.signal, unlocked))
      .catch((err: unknown) =>
        err instanceof FencedError
          ? this.#o.log('warn', `runbook run ${id} stopped here: ${err.message}`)
          : this.#o.log('error', `runbook run ${id} stopped on an unexpected error`, { err }))
      .finally(() => {
        this.#active.delete(id);
        this.#o.onSettled?.(id);
      });
    this.#active.set(id, { abort, done });
  }

  async #stopped(id: string, signal: AbortSignal): Promise<boolean> {
    return signal.aborted || (await this.#o.store.runs.get(id))!.status === 'aborted';
  }

  /**
   * Takes the run's lock, resolving to its release. The store answers asynchronously, so a
   * check and the write it leads to (an abort's, a decision's, the run's own) would otherwise
   * interleave with another's: an abort overwritten by the run's `succeeded`, a decision's
   * `running` by an abort. In this process only; across processes the store's guards hold.
   */
  async #hold(id: string): Promise<() => void> {
    const before = this.#locks.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.#locks.set(id, mine);
    await before;
    return () => {
      release();
      if (this.#locks.get(id) === mine) this.#locks.delete(id);
    };
  }

  async #serially<T>(id: string, work: () => Promise<T>): Promise<T> {
    const release = await this.#hold(id);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** `work` under the run's lock, which it lets go of for what takes long (an act, its verify, an undo) so that an abort need not wait. */
  async #locked(id: string, work: (unlocked: Unlocked) => Promise<void>): Promise<void> {
    let release = await this.#hold(id);
    const unlocked: Unlocked = async (outside) => {
      release();
      try {
        return await outside();
      } finally {
        release = await this.#hold(id);
      }
    };
    try {
      await work(unlocked);
    } finally {
      release();
    }
  }

  async #execute(id: string, signal: AbortSignal, unlocked: Unlocked): Promise<void> {
    const runs = this.#o.store.runs;
    const run = (await runs.get(id))!;
    const runbook = this.#runbook(run.runbook);
    for (const step of runbook.steps) {
      if (await this.#stopped(id, signal)) return;
      const records = await runs.steps(id);
      const record = records.find((r) => r.stepId === step.id)!;
      if (record.status === 'succeeded' || record.status === 'skipped') continue;
      const ctx = this.#context(run, records, await this.#decisions(id), signal);
      if (record.status === 'failed') return this.#atFailure(run, step, ctx, unlocked);
      const started = record.startedAt ?? this.#o.clock.now().toISOString();
      await runs.updateStep(id, step.id, { status: 'running', startedAt: started });

      const gate = step.gate?.(ctx);
      const decision = gate && ctx.decisions.get(gate.id);
      if (gate && !decision && !run.dryRun) return this.#wait(id, gate);
      if (decision?.decision === 'reject') {
        await this.#finishStep(run, step, started, fail(`${step.title}: rejected by ${decision.by} at gate "${gate!.id}": ${decision.reason}`, { gate: gate!.id }));
        await runs.setStatus(id, 'failed');
        return;
      }

      const outcome = await unlocked(() => this.#actAndVerify(run, step, record, ctx, gate));
      if ((await runs.get(id))!.status === 'aborted') {
        await runs.updateStep(id, step.id, { status: 'failed', finishedAt: this.#o.clock.now().toISOString(), result: this.#result(started, fail(`${step.title}: aborted`)) });
        return;
      }
      // A shutdown leaves the step running: the next start resumes it where it stood.
      if (signal.aborted) return;
      await this.#finishStep(run, step, started, outcome);
      if (outcome.status === 'fail') return this.#atFailure(run, step, this.#context(run, await runs.steps(id), ctx.decisions, signal), unlocked);
    }
    await runs.setStatus(id, 'succeeded');
    this.#o.log('info', `run ${id} (${runbook.name}${run.dryRun ? ', dry-run' : ''}) succeeded`);
  }

  /** A failed step: roll back when that was decided, else wait at its next failure gate. */
  async #atFailure(run: RunbookRunRecord, step: Step, ctx: StepContext, unlocked: Unlocked): Promise<void> {
    const { last, next } = failureGatesOf(step.id, ctx.decisions);
    if (last?.decision === 'rollback') {
      await unlocked(() => this.#compensate(run.id, last.by));
      await this.#o.store.runs.setStatus(run.id, 'compensated');
      this.#o.log('warn', `run ${run.id} compensated: every act done was undone, newest first`);
      return;
    }
    const record = (await this.#o.store.runs.steps(run.id)).find((r) => r.stepId === step.id)!;
    await this.#wait(run.id, failureGate(step, record, next));
  }

  async #wait(id: string, gate: GateRequirement): Promise<void> {
    await this.#o.store.runs.setStatus(id, 'awaiting-approval');
    this.#o.log('info', `run ${id} waits at gate "${gate.id}" for the ${gate.role}: ${gate.question}`);
    const view = await this.view(id);
    const opened = view.gates.find((g) => g.id === gate.id);
    if (opened) this.#o.onGateOpened?.(view, opened);
  }

  /** The act under its timeout, then the wait it asked for (persisted, outside the timeout), then the verify under its own. */
  async #actAndVerify(run: RunbookRunRecord, step: Step, record: StepRecord, ctx: StepContext, gate: GateRequirement | undefined): Promise<Outcome> {
    const timeoutMs = step.timeoutMs ?? this.#o.stepTimeoutMs;
    const runs = this.#o.store.runs;
    try {
      let waitUntil = record.waitUntil;
      if (step.act && !record.actDoneAt && !run.dryRun) {
        await this.#o.beforeAct?.();
        // Recorded before the act: an act cut short (an abort, a killed process) counts as done for undo.
        if (!record.actStartedAt) await runs.updateStep(run.id, step.id, { actStartedAt: this.#o.clock.now().toISOString() });
        await this.#audit(run.startedBy, 'runbook.act', run.id, { step: step.id, startedBy: run.startedBy, ...this.#lastDecider(ctx.decisions) });
        const keep = (output: unknown) => runs.updateStep(run.id, step.id, { output });
        const output = await this.#limited(timeoutMs, ctx, (c) => step.act!({ ...c, keep }));
        const waitSeconds = step.waitAfterAct?.(output) ?? 0;
        const now = this.#o.clock.now();
        waitUntil = waitSeconds > 0 ? new Date(now.getTime() + waitSeconds * 1000).toISOString() : undefined;
        await runs.updateStep(run.id, step.id, { actDoneAt: now.toISOString(), ...(output === undefined ? {} : { output }), ...(waitUntil ? { waitUntil } : {}) });
      }
      if (waitUntil) await this.#waitUntil(run, step, waitUntil, ctx.signal);
      const outputs = outputsOf(await runs.steps(run.id));
      const outcome = await this.#limited(timeoutMs, ctx, (c) => step.verify({ ...c, outputs }));
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
      // Not the step's failure: this replica may no longer act, and records nothing.
      if (err instanceof FencedError || ctx.signal.reason instanceof FencedError) throw err instanceof FencedError ? err : ctx.signal.reason;
      return fail(`${step.title}: ${describeError(err)}`);
    }
  }

  /** Runs `work` with the step's signal and a timeout of its own. */
  async #limited<T>(timeoutMs: number, ctx: StepContext, work: (ctx: StepContext) => Promise<T>): Promise<T> {
    // A timer of our own rather than AbortSignal.timeout, whose timer does not keep the process alive.
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
    const signal = AbortSignal.any([ctx.signal, timeout.signal]);
    try {
      // An abort that came while the step's state was being written: the work does not begin.
      signal.throwIfAborted();
      return await raceSignal(work({ ...ctx, signal }), signal, timeoutMs);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sleeps until the stored deadline: after a restart, only what is left of it. */
  async #waitUntil(run: RunbookRunRecord, step: Step, until: string, signal: AbortSignal): Promise<void> {
    const ms = Date.parse(until) - this.#o.clock.now().getTime();
    if (ms <= 0) return;
    this.#o.log('info', `run ${run.id}: step ${step.id} waits ${Math.ceil(ms / 1000)} s, until ${until}`);
    await sleep(ms, undefined, { signal });
  }

  async #finishStep(run: RunbookRunRecord, step: Step, startedAt: string, outcome: Outcome): Promise<void> {
    const result = this.#result(startedAt, outcome);
    await this.#o.store.runs.updateStep(run.id, step.id, {
      status: outcome.status === 'fail' ? 'failed' : 'succeeded',
      finishedAt: this.#o.clock.now().toISOString(),
      result,
    });
    this.#o.metrics?.runbookStepDurationSeconds.set({ runbook: run.dryRun ? `${run.runbook}:dry-run` : run.runbook, step: step.id }, result.durationMs / 1000);
  }

  #result(startedAt: string, outcome: Outcome): Result {
    return { ...outcome, startedAt, durationMs: Math.max(0, this.#o.clock.now().getTime() - Date.parse(startedAt)) };
  }

  /**
   * Undoes every act begun, newest first, each with the output its act left; each undo's
   * result is stored with its step. An act without undo is named with why it stays.
   */
  async #compensate(id: string, by: string): Promise<void> {
    const run = (await this.#o.store.runs.get(id))!;
    const runbook = this.#runbook(run.runbook);
    const records = await this.#o.store.runs.steps(id);
    const ctx = this.#context(run, records, await this.#decisions(id), AbortSignal.timeout(this.#o.stepTimeoutMs * runbook.steps.length));
    for (const step of [...runbook.steps].reverse()) {
      const record = records.find((r) => r.stepId === step.id);
      if (!step.act || !(record?.actStartedAt || record?.actDoneAt)) continue;
      const started = this.#o.clock.now().toISOString();
      let outcome: Outcome;
      if (!step.undo) outcome = skip(`not undone: ${step.irreversible ?? 'the step has no undo'}`);
      else {
        await this.#audit(by, 'runbook.undo', id, { step: step.id });
        try {
          await step.undo(ctx, record.output);
          outcome = pass(`undone by ${by}`);
        } catch (err) {
          this.#o.log('error', `undo of step ${step.id} of run ${id} failed: ${describeError(err)}`);
          await this.#audit(by, 'runbook.undo-failed', id, { step: step.id, error: describeError(err) });
          outcome = fail(`the undo failed: ${describeError(err)}`);
        }
      }
      await this.#o.store.runs.updateStep(id, step.id, { undoResult: this.#result(started, outcome) });
    }
  }

  /** Who decided last: the cloud acts after a gate are the decider's as well as the starter's. */
  #lastDecider(decisions: Decisions): { decidedBy?: string; gate?: string } {
    const entries = [...decisions.entries()];
    const last = entries.at(-1);
    return last ? { decidedBy: last[1].by, gate: last[0] } : {};
  }

  async #decisions(id: string): Promise<Decisions> {
    return new Map((await this.#o.store.runs.approvals(id)).map((a) => [a.gate, { decision: a.decision, by: a.by, reason: a.reason }]));
  }


  /**
   * `view`, for a step that reports on its own run (the post-rollback report), is built from
   * what was read here: the store answers asynchronously, so a step's getter can no longer read it.
   */
  #context(run: RunbookRunRecord, records: StepRecord[], decisions: Decisions, signal: AbortSignal, view = this.#viewOf(run, records, decisions)): StepContext {
    const results = new Map(records.flatMap((r) => (r.result && r.status !== 'running' ? [[r.stepId, r.result] as const] : [])));
    const startedAt = new Map(records.flatMap((r) => (r.startedAt ? [[r.stepId, r.startedAt] as const] : [])));
    return {
      runId: run.id,
      runbook: run.runbook,
      dryRun: run.dryRun,
      params: run.params,
      results,
      outputs: outputsOf(records),
      startedAt,
      decisions,
      signal,
      view,
      now: () => this.#o.clock.now(),
      log: (message, fields) => this.#o.log('info', `run ${run.id}: ${message}`, fields),
    };
  }

  async #audit(actor: string, action: string, target: string, details: Record<string, unknown>): Promise<void> {
    await this.#o.store.audit.append({ actor, action, target, details });
  }
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
