/**
 * Runbook runs, their steps and their approvals. Each write is its own durable statement, so
 * the engine can persist a step's state before starting the next one and resume after a crash.
 */
import type Database from 'better-sqlite3';
import { ConflictError, NotFoundError } from '../core/errors.js';
import type { Result } from '../core/result.js';
import type { ApprovalRecord, AuditEntry, RunbookRunRecord, RunStatus, StepRecord, Store } from './types.js';

interface RunRow {
  id: string;
  runbook: string;
  status: RunStatus;
  dry_run: number;
  params: string;
  started_by: string;
  started_at: string;
  finished_at: string | null;
}

interface StepRow {
  run_id: string;
  step_id: string;
  position: number;
  title: string;
  status: StepRecord['status'];
  started_at: string | null;
  finished_at: string | null;
  act_done_at: string | null;
  act_started_at: string | null;
  wait_until: string | null;
  output: string | null;
  result: string | null;
  undo_result: string | null;
}

type ApprovalRow = Omit<ApprovalRecord, 'runId' | 'by'> & { run_id: string; by_name: string };

const TERMINAL: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'aborted', 'compensated']);

const toRun = (row: RunRow): RunbookRunRecord => ({
  id: row.id,
  runbook: row.runbook,
  status: row.status,
  dryRun: row.dry_run === 1,
  params: JSON.parse(row.params) as Record<string, unknown>,
  startedBy: row.started_by,
  startedAt: row.started_at,
  ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
});

const toStep = (row: StepRow): StepRecord => ({
  runId: row.run_id,
  stepId: row.step_id,
  position: row.position,
  title: row.title,
  status: row.status,
  ...(row.started_at ? { startedAt: row.started_at } : {}),
  ...(row.finished_at ? { finishedAt: row.finished_at } : {}),
  ...(row.act_started_at ? { actStartedAt: row.act_started_at } : {}),
  ...(row.act_done_at ? { actDoneAt: row.act_done_at } : {}),
  ...(row.output ? { output: JSON.parse(row.output) as unknown } : {}),
  ...(row.wait_until ? { waitUntil: row.wait_until } : {}),
  ...(row.result ? { result: JSON.parse(row.result) as Result } : {}),
  ...(row.undo_result ? { undoResult: JSON.parse(row.undo_result) as Result } : {}),
});

const toApproval = (row: ApprovalRow): ApprovalRecord => ({
  runId: row.run_id,
  gate: row.gate,
  role: row.role,
  decision: row.decision,
  by: row.by_name,
  reason: row.reason,
  at: row.at,
});

/** Step fields a patch may set, and their columns. */
const STEP_COLUMNS = {
  status: 'status', startedAt: 'started_at', finishedAt: 'finished_at', actStartedAt: 'act_started_at', actDoneAt: 'act_done_at',
  output: 'output', waitUntil: 'wait_until', result: 'result', undoResult: 'undo_result',
} as const;

type StepPatch = Partial<Omit<StepRecord, 'runId' | 'stepId' | 'position' | 'title'>>;

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';

export function runsTable(db: Database.Database, now: () => Date, audit: Store['audit']): Store['runs'] {
  const insertRun = db.prepare(
    "INSERT INTO runbook_runs (id, runbook, status, dry_run, params, started_by, started_at) VALUES (?, ?, 'running', ?, ?, ?, ?)",
  );
  const insertStep = db.prepare("INSERT INTO runbook_steps (run_id, step_id, position, title, status) VALUES (?, ?, ?, ?, 'pending')");
  const getRun = db.prepare<[string], RunRow>('SELECT * FROM runbook_runs WHERE id = ?');
  const listRuns = db.prepare<[number], RunRow>('SELECT * FROM runbook_runs ORDER BY seq DESC LIMIT ?');
  const setStatus = db.prepare('UPDATE runbook_runs SET status = ?, finished_at = ? WHERE id = ?');
  const steps = db.prepare<[string], StepRow>('SELECT * FROM runbook_steps WHERE run_id = ? ORDER BY position');
  const insertApproval = db.prepare(
    'INSERT INTO approvals (run_id, gate, role, decision, by_name, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, gate) DO NOTHING',
  );
  const approvals = db.prepare<[string], ApprovalRow>('SELECT * FROM approvals WHERE run_id = ? ORDER BY rowid');

  const updateStep = (runId: string, stepId: string, patch: StepPatch) => {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [field, column] of Object.entries(STEP_COLUMNS)) {
      const value = patch[field as keyof typeof STEP_COLUMNS];
      if (value === undefined) continue;
      sets.push(`${column} = ?`);
      // Outputs are JSON whatever their type; the other columns hold text.
      values.push(field === 'output' || typeof value === 'object' ? JSON.stringify(value) : value);
    }
    if (sets.length === 0) return;
    const sql = `UPDATE runbook_steps SET ${sets.join(', ')} WHERE run_id = ? AND step_id = ?`;
    if (db.prepare(sql).run(...values, runId, stepId).changes === 0) {
      throw new NotFoundError(`step ${stepId} of runbook run ${runId} does not exist`);
    }
  };
  const liveRun = db.prepare<[], RunRow>("SELECT * FROM runbook_runs WHERE dry_run = 0 AND status IN ('running', 'awaiting-approval') LIMIT 1");
  const create = db.transaction((run: Parameters<Store['runs']['create']>[0], stepList: Array<{ stepId: string; title: string }>) => {
    try {
      insertRun.run(run.id, run.runbook, run.dryRun ? 1 : 0, JSON.stringify(run.params), run.startedBy, now().toISOString());
    } catch (err) {
      // The index one_live_run: whatever the number of dry-runs since, one live run at a time.
      const live = isUniqueViolation(err) ? liveRun.get() : undefined;
      if (live) throw new ConflictError(`run ${live.id} (${live.runbook}) is still ${live.status}: finish or abort it before starting another live run`);
      throw err;
    }
    stepList.forEach((step, position) => insertStep.run(run.id, step.stepId, position, step.title));
  });
  const decide = db.transaction((a: ApprovalRecord, entry: AuditEntry, status: RunStatus, step?: { stepId: string; patch: StepPatch }): boolean => {
    requireRun(a.runId);
    if (insertApproval.run(a.runId, a.gate, a.role, a.decision, a.by, a.reason, a.at).changes === 0) return false;
    audit.append(entry);
    setStatus.run(status, TERMINAL.has(status) ? now().toISOString() : null, a.runId);
    if (step) updateStep(a.runId, step.stepId, step.patch);
    return true;
  });
  const requireRun = (id: string) => {
    if (!getRun.get(id)) throw new NotFoundError(`runbook run ${id} does not exist`);
  };

  return {
    create(run, stepList) {
      create(run, stepList);
      return toRun(getRun.get(run.id)!);
    },
    get(id) {
      const row = getRun.get(id);
      return row && toRun(row);
    },
    list: (limit) => listRuns.all(limit).map(toRun),
    setStatus(id, status) {
      const changes = setStatus.run(status, TERMINAL.has(status) ? now().toISOString() : null, id).changes;
      if (changes === 0) throw new NotFoundError(`runbook run ${id} does not exist`);
    },
    steps: (runId) => steps.all(runId).map(toStep),
    updateStep,
    addApproval(a) {
      requireRun(a.runId);
      return insertApproval.run(a.runId, a.gate, a.role, a.decision, a.by, a.reason, a.at).changes === 1;
    },
    decide: (approval, entry, status, step) => decide(approval, entry, status, step),
    approvals: (runId) => approvals.all(runId).map(toApproval),
  };
}
