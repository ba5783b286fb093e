/**
 * The reports as data, the shape the templates of this folder lay out. src/reporting builds
 * them from stored results and decides every sentence; a template only arranges them.
 */
import type { Status } from '../src/core/result.js';
import type { SyncFlow } from '../src/core/flows.js';
import type { SyncRunRecord } from '../src/store/types.js';

// ------------------------------------------------------------------------------ monthly (R5, R18)

export interface MonthlyCheckRow {
  id: string;
  title: string;
  /** The month's latest result; `not-run` when the check never ran that month (a failure). */
  status: Status | 'not-run';
  passed: boolean;
  reason: string;
  evidence: string;
  at: string | null;
  runs: number;
  failures: number;
  hint: string;
}

export interface FlowHistory {
  flow: SyncFlow;
  runs: number;
  succeeded: number;
  failed: number;
  interrupted: number;
  /** succeeded / (succeeded + failed); null when no run finished. */
  successRate: number | null;
  /** null when at some point of the month no verified copy existed at all. */
  worstRpoSeconds: number | null;
  rpoWithinTarget: boolean;
  lastSuccessAt: string | null;
  /** Status of the month's last finished run. */
  lastStatus: SyncRunRecord['status'] | null;
}

export type EscalationOutcome = 'fixed' | 'escalated' | 'open';

export interface Escalation {
  check: string;
  /** The first failure of that day. */
  failedAt: string;
  reason: string;
  retest: { status: Status; at: string; reason: string } | null;
  /** fixed: the re-test passed that day; escalated: it did not; open: that day is today. */
  outcome: EscalationOutcome;
  summary: string;
}

export interface MonthlyReport {
  kind: 'monthly';
  month: string;
  from: string;
  /** End of the month, or the generation time while the month is still running. */
  to: string;
  generatedAt: string;
  verdict: 'ready' | 'not-ready';
  /** One sentence per problem; empty when ready. */
  reasons: string[];
  checks: MonthlyCheckRow[];
  syncs: { rpoTargetHours: number; flows: FlowHistory[] };
  escalations: Escalation[];
}

// ------------------------------------------------------------------------------ incident (R13.5, R16)

export interface TimelineEntry {
  at: string;
  what: string;
}

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
