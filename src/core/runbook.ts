/**
 * A runbook is an ordered list of Steps. The engine (src/runbooks/engine.ts) persists each
 * step's state before the next begins, resumes at the first unfinished step, waits at gates
 * for an approval by a named role, and in a dry-run executes every read and verify and no act.
 */
import type { RoleName } from './roles.js';
import type { Outcome, Result } from './result.js';

/** approve / reject at a gate before an act; retry / rollback / skip at a failure gate. */
export type Decision = 'approve' | 'reject' | 'retry' | 'rollback' | 'skip';
export const FAILURE_OPTIONS = ['retry', 'rollback', 'skip'] as const satisfies readonly Decision[];

/** An approval the run needs before a step's act; computed from what earlier steps found. */
export interface GateRequirement {
  /** Unique within the run; one decision per gate (a replayed approval changes nothing). */
  id: string;
  role: RoleName;
  /** What the approver decides, in one sentence. */
  question: string;
  /** `failure`: a step of a live run failed, and a person decides what happens next. */
  kind?: 'failure';
  /** The decisions it takes, when they are not approve / reject. */
  options?: readonly Decision[];
}

export interface GateView extends GateRequirement {
  status: 'pending' | 'approved' | 'rejected' | 'decided';
  decision?: Decision;
  by?: string;
  reason?: string;
}

export type RunStatusName = 'running' | 'awaiting-approval' | 'succeeded' | 'failed' | 'aborted' | 'compensated';
export type StepStatusName = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

/** A run as people and reports see it. */
export interface RunView {
  id: string;
  runbook: string;
  status: RunStatusName;
  dryRun: boolean;
  params: Record<string, unknown>;
  startedBy: string;
  startedAt: string;
  finishedAt?: string;
  steps: Array<{
    id: string; title: string; role: RoleName; status: StepStatusName; startedAt?: string; finishedAt?: string;
    /** When its act was done; waitUntil: the end of the wait after it (DNS TTLs). */
    actedAt?: string; waitUntil?: string;
    result?: Result; undo?: Result;
  }>;
  gates: GateView[];
}

export interface StepContext {
  runId: string;
  runbook: string;
  dryRun: boolean;
  /** The run's parameters as started (scenario, reason…). */
  params: Readonly<Record<string, unknown>>;
  /** Results of the steps already finished in this run, by step id. */
  results: ReadonlyMap<string, Result>;
  /** What the acts done so far handed on, by step id (see Step.act). */
  outputs: ReadonlyMap<string, unknown>;
  /** When each step of this run started, by step id. */
  startedAt: ReadonlyMap<string, string>;
  /** Decisions taken at this run's gates so far, by gate id. */
  decisions: ReadonlyMap<string, { decision: Decision; by: string; reason: string }>;
  /** The run as it stands, for a step that reports on it. */
  view: RunView;
  signal: AbortSignal;
  /**
   * During an act: stores what it has learned so far as its output, before it changes the world,
   * so that the act run again after a crash still knows it (the TTLs before they were lowered).
   */
  keep?(output: unknown): void;
  now(): Date;
  log(message: string, fields?: Record<string, unknown>): void;
}

export interface Step {
  id: string;
  title: string;
  /** Whose job the step is in the runbook (shown to people; gates name their own role). */
  role: RoleName;
  /** Asked before the act: undefined lets the step go on, a requirement waits for a decision. */
  gate?(ctx: StepContext): GateRequirement | undefined;
  /**
   * Changes the world; idempotent, because a crash before it is recorded makes it run again.
   * Never run in a dry-run. What it returns (JSON) is stored with the step and handed to the
   * steps after it (`ctx.outputs`), and to its own undo.
   */
  act?(ctx: StepContext): Promise<unknown>;
  /**
   * Seconds to wait after the act before the verify (a DNS TTL to run out). The engine stores
   * the deadline with the step, so a restart waits only what is left; the wait is not part of
   * the step's timeout.
   */
  waitAfterAct?(output: unknown): number;
  /** Reads the world and says whether the step's goal holds. Run in dry-runs too. */
  verify(ctx: StepContext): Promise<Outcome>;
  /**
   * Puts back what the act changed (a compensated or aborted run). Idempotent: it may run after
   * an act that never finished, or twice. Gets the act's output when the act got that far.
   */
  undo?(ctx: StepContext, output: unknown): Promise<unknown>;
  /** An act without undo says why it cannot be put back; it then sits behind a gate that says so. */
  irreversible?: string;
  /** False: a failure of this step cannot be skipped, not even by a CTO. */
  skippable?: boolean;
  /** Per-step limit for act, and for verify (default: the engine's). Waits do not count. */
  timeoutMs?: number;
}

export interface Runbook {
  name: string;
  title: string;
  steps: Step[];
}
