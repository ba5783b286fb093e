/**
 * A runbook is an ordered list of Steps. The engine (src/runbooks/engine.ts) persists each
 * step's state before the next begins, resumes at the first unfinished step, waits at gates
 * for an approval by a named role, and in a dry-run executes every read and verify and no act.
 */
import type { RoleName } from '../config/schema.js';
import type { Outcome, Result } from './result.js';

/** An approval the run needs before a step's act; computed from what earlier steps found. */
export interface GateRequirement {
  /** Unique within the run; one decision per gate (a replayed approval changes nothing). */
  id: string;
  role: RoleName;
  /** What the approver decides, in one sentence. */
  question: string;
}

export interface StepContext {
  runId: string;
  runbook: string;
  dryRun: boolean;
  /** The run's parameters as started (scenario, reason…). */
  params: Readonly<Record<string, unknown>>;
  /** Results of the steps already finished in this run, by step id. */
  results: ReadonlyMap<string, Result>;
  /** Decisions taken at this run's gates so far, by gate id. */
  decisions: ReadonlyMap<string, { decision: 'approve' | 'reject'; by: string; reason: string }>;
  signal: AbortSignal;
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
  /** Changes the world; idempotent, because a crash before it is recorded makes it run again. Never run in a dry-run. */
  act?(ctx: StepContext): Promise<void>;
  /** Reads the world and says whether the step's goal holds. Run in dry-runs too. */
  verify(ctx: StepContext): Promise<Outcome>;
  /** Puts back what the act changed, when a run is aborted with undo. */
  undo?(ctx: StepContext): Promise<void>;
  /** Per-step limit for act + verify (default: the engine's). */
  timeoutMs?: number;
}

export interface Runbook {
  name: string;
  title: string;
  steps: Step[];
}
