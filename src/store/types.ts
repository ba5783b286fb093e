/**
 * What the rest of drsentinel may ask of the store: one SQLite file under the state directory
 * (one process), or PostgreSQL (replicas, one of them leading). Every write is durable before
 * its promise resolves, which the runbook engine relies on to resume after a crash.
 */
import type { Result } from '../core/result.js';
import type { Decision, RunStatusName, StepStatusName } from '../core/runbook.js';
import type { SyncFlow } from '../core/flows.js';
import type { QueuedRequest, SyncRunSummary } from '../core/sync-summary.js';

export type { Decision } from '../core/runbook.js';

export interface CheckRecord {
  suite: string;
  check: string;
  result: Result;
}

/** `queued`: asked of a replica that does not act, waiting for the leader to run it under its id. */
export type SyncStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'interrupted';

interface SyncRunFields {
  id: string;
  reverse: boolean;
  status: SyncStatus;
  /** When it began running; while it is queued, when it was asked for. */
  startedAt: string;
  finishedAt?: string;
  /** For the metadata flow: export time covered by this run once it is verified (ISO). */
  verifiedThrough?: string;
}

/**
 * A run of `F`, its summary shaped by the flow (the engine's counts, the verification, the
 * failure class; while queued, `request`). Without `F`: a run of any flow, told apart by `flow`.
 */
export type SyncRunRecord<F extends SyncFlow = SyncFlow> = F extends SyncFlow ? SyncRunFields & { flow: F; summary: SyncRunSummary<F> } : never;

/** An R4 alert: a streak of failed sync days (UTC) of one flow, and its recovery once it passes again. */
export interface SyncAlertRecord {
  flow: SyncFlow;
  /** The streak's first failed day, `YYYY-MM-DD` (UTC); one alert per streak. */
  streakStart: string;
  failureClass: string;
  /** The failed days (`YYYY-MM-DD`, oldest first) when the alert was raised. */
  failedDays: string[];
  /** The newest failure's reason, free of secrets. */
  lastError: string;
  alertedAt: string;
  /** Channels (`email`, `webhook`) the alert was delivered on. */
  alertSentTo: string[];
  recoveredAt?: string;
  recoverySentTo: string[];
}

/** The forward runs of one flow on one UTC day that ended succeeded or failed. */
export interface SyncDay {
  /** `YYYY-MM-DD`, UTC, of the runs' start. */
  day: string;
  succeeded: number;
  failed: number;
}

export type RunStatus = RunStatusName;
export type StepStatus = StepStatusName;

export interface RunbookRunRecord {
  id: string;
  runbook: string;
  status: RunStatus;
  dryRun: boolean;
  params: Record<string, unknown>;
  startedBy: string;
  startedAt: string;
  finishedAt?: string;
  /** An abort asked of whichever replica runs the steps; it acts on it and records the outcome. */
  abortRequest?: AbortRequest;
}

export interface AbortRequest {
  by: string;
  reason: string;
  undo: boolean;
  at: string;
}

export interface StepRecord {
  runId: string;
  stepId: string;
  position: number;
  title: string;
  status: StepStatus;
  startedAt?: string;
  finishedAt?: string;
  /** Set before the act begins: an act begun but not known done counts as done for undo. */
  actStartedAt?: string;
  /** Set once the step's act has completed, so a resumed run never repeats it. */
  actDoneAt?: string;
  /** What the act handed on to the steps after it (JSON). */
  output?: unknown;
  /** A wait after the act (DNS TTLs): its deadline, honoured by a restart. */
  waitUntil?: string;
  result?: Result;
  /** The result of undoing the act (a compensated or aborted run). */
  undoResult?: Result;
}

export interface ApprovalRecord {
  runId: string;
  gate: string;
  role: string;
  decision: Decision;
  by: string;
  reason: string;
  at: string;
}

/** A message of an incident (R14–R16). */
export interface MessageRecord {
  id: string;
  /** The runbook run it belongs to, if any. */
  runId?: string;
  /** The template: `internal-alert`, `status-update`, `external-initial`, `external-progress`, `external-return`, `stabilisation`. */
  kind: string;
  audience: 'internal' | 'external';
  /**
   * External messages wait for a CTO (`awaiting-approval`). `sending`: one caller won the
   * right to deliver it; with an `error`, a restart cut that delivery short and whether it
   * reached anyone is unknown, so it goes out again only when a person retries it. Then `sent`
   * (on at least one channel) or `failed` (on none); or `rejected`.
   */
  status: 'awaiting-approval' | 'sending' | 'sent' | 'rejected' | 'failed';
  subject: string;
  body: string;
  createdBy: string;
  createdAt: string;
  decidedBy?: string;
  sentAt?: string;
  /** Channels it was delivered on. */
  channels: string[];
  error?: string;
}

export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

export interface AuditRow extends AuditEntry {
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

export interface AuditVerdict {
  ok: boolean;
  rows: number;
  /** The first row that breaks the chain, and why. */
  firstBad?: { seq: number; reason: string };
}

export interface ReportRecord {
  id: string;
  kind: string;
  period: string;
  createdAt: string;
  format: 'html' | 'md' | 'json';
  body: string;
}

/** A contingency: the standby serves, and only the activation's own final sync may run forward. */
export interface ContingencyRecord {
  /** The live run whose first act began it. */
  runId: string;
  runbook: string;
  /** When it began: the instant before uploads were blocked on AWS. */
  since: string;
  endedAt?: string;
  /** What ended it: the run that cut DNS back, or the undo of the first act. */
  endedBy?: string;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  /** Where it lives, fit to print: the SQLite file, or the database URL without its password. */
  readonly file: string;
  close(): Promise<void>;
  /** Resolves when the store answers a query, throws when it does not. */
  ping(): Promise<void>;

  checks: {
    record(suite: string, check: string, result: Result): Promise<void>;
    /** The newest result of every check ever run. */
    latest(): Promise<CheckRecord[]>;
    /** Newest first. */
    history(suite: string, check: string, limit: number): Promise<CheckRecord[]>;
    /** How many results of each check are kept. */
    historyLengths(): Promise<Array<{ suite: string; check: string; length: number }>>;
    /** Keeps the newest `keep` results per check, and every failure. */
    prune(keep: number): Promise<void>;
  };

  syncs: {
    start(flow: SyncFlow, reverse: boolean): Promise<SyncRunRecord>;
    /**
     * Records a run for the leader to start (not fenced: any replica asks), `queued`, with its
     * request in the summary as `request`.
     */
    enqueue(flow: SyncFlow, reverse: boolean, request: QueuedRequest): Promise<SyncRunRecord>;
    /** The queued runs, oldest first. */
    queued(): Promise<SyncRunRecord[]>;
    /**
     * The leader takes a queued run: it becomes `running`, started now. Refused (ConflictError,
     * naming it) while the flow has a running run; undefined when the run is no longer queued.
     */
    claim(id: string): Promise<SyncRunRecord | undefined>;
    /** Replaces the run's summary (its progress, while it runs). */
    update(id: string, summary: SyncRunSummary): Promise<void>;
    finish(id: string, status: Exclude<SyncStatus, 'running' | 'queued'>, summary: SyncRunSummary, verifiedThrough?: string): Promise<void>;
    get(id: string): Promise<SyncRunRecord | undefined>;
    list(limit: number, flow?: SyncFlow): Promise<SyncRunRecord[]>;
    /** Failed runs since the last success, per flow (forward flows only). */
    consecutiveFailures(flow: SyncFlow): Promise<number>;
    lastSuccess(flow: SyncFlow): Promise<SyncRunRecord | undefined>;
    /** Runs left `running` by a crash become `interrupted`; returns how many. Queued runs stay queued, for the leader. */
    markInterrupted(): Promise<number>;
  };

  runs: {
    /** Refused (ConflictError naming it) for a live run while another live run is running or waiting. */
    create(run: Omit<RunbookRunRecord, 'startedAt' | 'status'>, steps: Array<{ stepId: string; title: string }>): Promise<RunbookRunRecord>;
    get(id: string): Promise<RunbookRunRecord | undefined>;
    list(limit: number): Promise<RunbookRunRecord[]>;
    setStatus(id: string, status: RunStatus): Promise<void>;
    steps(runId: string): Promise<StepRecord[]>;
    updateStep(runId: string, stepId: string, patch: Partial<Omit<StepRecord, 'runId' | 'stepId' | 'position' | 'title'>>): Promise<void>;
    /** Returns false when this gate already has a decision (a replay has no effect). */
    addApproval(approval: ApprovalRecord): Promise<boolean>;
    /**
     * A decision, its audit row and the run's new status in one transaction: either all are
     * recorded or none. False when the gate already had a decision (nothing recorded).
     */
    decide(approval: ApprovalRecord, audit: AuditEntry, status: RunStatus, step?: { stepId: string; patch: Partial<Omit<StepRecord, 'runId' | 'stepId' | 'position' | 'title'>> }): Promise<boolean>;
    approvals(runId: string): Promise<ApprovalRecord[]>;
    /** Runs still running or waiting at a gate, oldest first: what the leader carries on. */
    active(): Promise<RunbookRunRecord[]>;
    /** Records an abort for the leader to act on; false when one is recorded already or the run has ended. */
    requestAbort(id: string, request: AbortRequest): Promise<boolean>;
  };

  audit: {
    append(entry: AuditEntry): Promise<AuditRow>;
    list(opts: { limit: number; afterSeq?: number }): Promise<AuditRow[]>;
    verify(): Promise<AuditVerdict>;
  };

  reports: {
    save(report: Omit<ReportRecord, 'id' | 'createdAt'>): Promise<ReportRecord>;
    get(id: string): Promise<ReportRecord | undefined>;
    list(limit: number, kind?: string): Promise<Array<Omit<ReportRecord, 'body'>>>;
  };

  /** R4 sync alerts, one per streak of failed days. */
  alerts: {
    /** Records the alert of a streak; false when that streak already has one. */
    open(alert: Pick<SyncAlertRecord, 'flow' | 'streakStart' | 'failureClass' | 'failedDays' | 'lastError'>): Promise<boolean>;
    /** Marks the streak's alert recovered; false when it already was. */
    recover(flow: SyncFlow, streakStart: string): Promise<boolean>;
    markSent(flow: SyncFlow, streakStart: string, kind: 'alert' | 'recovery', channel: string): Promise<void>;
    get(flow: SyncFlow, streakStart: string): Promise<SyncAlertRecord | undefined>;
    /** Newest first. */
    list(limit: number, flow?: SyncFlow): Promise<SyncAlertRecord[]>;
    /** The flow's sync days, newest first: what a streak is counted in. */
    syncDays(flow: SyncFlow, limit: number): Promise<SyncDay[]>;
  };

  messages: {
    create(message: Pick<MessageRecord, 'kind' | 'audience' | 'status' | 'subject' | 'body' | 'createdBy'> & { runId?: string; decidedBy?: string }): Promise<MessageRecord>;
    get(id: string): Promise<MessageRecord | undefined>;
    /** Newest first. */
    list(limit: number): Promise<MessageRecord[]>;
    /** Oldest first. */
    forRun(runId: string): Promise<MessageRecord[]>;
    /**
     * A decision on a held message and its audit row, in one transaction, only while the
     * message is still `awaiting-approval`: false when another decision got there first
     * (nothing recorded). Approving moves it to `sending`: the winner alone delivers it.
     */
    decide(id: string, outcome: { status: 'sending' | 'rejected'; decidedBy: string }, audit: AuditEntry): Promise<boolean>;
    /** Back to `sending` with its audit row, only from `failed` or an interrupted `sending`; false otherwise (nothing recorded). */
    retry(id: string, audit: AuditEntry): Promise<boolean>;
    /** The outcome of a delivery; only a message being sent settles. */
    settle(id: string, outcome: { status: 'sent' | 'failed'; channels: string[]; error?: string }): Promise<MessageRecord>;
    /** Gives every message still `sending` without an error `note` as its error (at start: a crash cut them short); returns how many. */
    markInterrupted(note: string): Promise<number>;
  };

  contingencies: {
    /** Records that `runId` holds a contingency: begun now, or opened again from its first start (an undone cutback). */
    begin(runId: string, runbook: string): Promise<ContingencyRecord>;
    /** Ends the open contingency, if any; returns it, or undefined when none was open. */
    end(endedBy: string): Promise<ContingencyRecord | undefined>;
    /** The open contingency, if any. */
    current(): Promise<ContingencyRecord | undefined>;
    /** The newest contingency, open or ended. */
    latest(): Promise<ContingencyRecord | undefined>;
  };

  /** Last start of each scheduled job, for missed-run catch-up and no-overlap. */
  jobs: {
    lastRun(job: string): Promise<Date | undefined>;
    recordRun(job: string, at: Date): Promise<void>;
  };
}
