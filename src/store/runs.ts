/**
 * Runbook runs, their steps and their approvals. Each write is its own durable statement, so
 * the engine can persist a step's state before starting the next one and resume after a crash.
 */
import { ConflictError, NotFoundError } from '../core/errors.js';
import type { Result } from '../core/result.js';
import { appendAudit } from './audit.js';
import { fenced, type Fence } from './fence.js';
import { isUniqueViolation, type Sql } from './sql.js';
import type { AbortRequest, ApprovalRecord, RunbookRunRecord, RunStatus, StepRecord, Store } from './types.js';

interface RunRow {
  id: string;
  runbook: string;
  status: RunStatus;
  dry_run: number;
  params: string;
  started_by: string;
  started_at: string;
  finished_at: string | null;
  abort_request: string | null;
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
  ...(row.abort_request ? { abortRequest: JSON.parse(row.abort_request) as AbortRequest } : {}),
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

export function runsTable(sql: Sql, now: () => Date, fence: Fence): Store['runs'] {
  const getRun = (db: Sql, id: string) => db.get<RunRow>('SELECT * FROM runbook_runs WHERE id = ?', [id]);
  const requireRun = async (db: Sql, id: string) => {
    if (!(await getRun(db, id))) throw new NotFoundError(`runbook run ${id} does not exist`);
  };
  const finishedAt = (status: RunStatus) => (TERMINAL.has(status) ? now().toISOString() : null);
  const setStatus = async (tx: Sql, id: string, status: RunStatus, epoch: number) =>
    (await tx.run('UPDATE runbook_runs SET status = ?, finished_at = ?, epoch = ? WHERE id = ?', [status, finishedAt(status), epoch, id])).changes;
  const insertApproval = async (tx: Sql, a: ApprovalRecord) =>
    (await tx.run('INSERT INTO approvals (run_id, gate, role, decision, by_name, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, gate) DO NOTHING', [
      a.runId, a.gate, a.role, a.decision, a.by, a.reason, a.at,
    ])).changes === 1;

  const updateStep = async (tx: Sql, runId: string, stepId: string, patch: StepPatch, epoch: number) => {
    const sets: string[] = [];
    const values: Array<string | number> = [];
    for (const [field, column] of Object.entries(STEP_COLUMNS)) {
      const value = patch[field as keyof typeof STEP_COLUMNS];
      if (value === undefined) continue;
      sets.push(`${column} = ?`);
      // Outputs are JSON whatever their type; the other columns hold text.
      values.push(field === 'output' || typeof value === 'object' ? JSON.stringify(value) : (value as string));
    }
    if (sets.length === 0) return;
    const changed = await tx.run(`UPDATE runbook_steps SET ${sets.join(', ')}, epoch = ? WHERE run_id = ? AND step_id = ?`, [...values, epoch, runId, stepId]);
    if (changed.changes === 0) throw new NotFoundError(`step ${stepId} of runbook run ${runId} does not exist`);
  };
  // A decision is a person's, taken on any replica: it is not fenced, and the leader acts on it.
  const byInsertion = sql.dialect === 'sqlite' ? 'rowid' : 'seq';

  return {
    async create(run, stepList) {
      try {
        await sql.transaction(async (tx) => {
          await tx.run("INSERT INTO runbook_runs (id, runbook, status, dry_run, params, started_by, started_at) VALUES (?, ?, 'running', ?, ?, ?, ?)", [
            run.id, run.runbook, run.dryRun ? 1 : 0, JSON.stringify(run.params), run.startedBy, now().toISOString(),
          ]);
          for (const [position, step] of stepList.entries()) {
            await tx.run("INSERT INTO runbook_steps (run_id, step_id, position, title, status) VALUES (?, ?, ?, ?, 'pending')", [run.id, step.stepId, position, step.title]);
          }
        });
      } catch (err) {
        // The index one_live_run: whatever the number of dry-runs since, one live run at a time.
        const live = isUniqueViolation(err) && !run.dryRun
          ? await sql.get<RunRow>("SELECT * FROM runbook_runs WHERE dry_run = 0 AND status IN ('running', 'awaiting-approval') LIMIT 1")
          : undefined;
        if (live) throw new ConflictError(`run ${live.id} (${live.runbook}) is still ${live.status}: finish or abort it before starting another live run`);
        throw err;
      }
      return toRun((await getRun(sql, run.id))!);
    },
    async get(id) {
      const row = await getRun(sql, id);
      return row && toRun(row);
    },
    list: async (limit) => (await sql.all<RunRow>('SELECT * FROM runbook_runs ORDER BY seq DESC LIMIT ?', [limit])).map(toRun),
    setStatus: (id, status) =>
      fenced(sql, fence, async (tx, epoch) => {
        if ((await setStatus(tx, id, status, epoch)) === 0) throw new NotFoundError(`runbook run ${id} does not exist`);
      }),
    steps: async (runId) => (await sql.all<StepRow>('SELECT * FROM runbook_steps WHERE run_id = ? ORDER BY position', [runId])).map(toStep),
    updateStep: (runId, stepId, patch) => fenced(sql, fence, (tx, epoch) => updateStep(tx, runId, stepId, patch, epoch)),
    addApproval: (a) =>
      sql.transaction(async (tx) => {
        await requireRun(tx, a.runId);
        return insertApproval(tx, a);
      }),
    decide: (a, entry, status, step) =>
      sql.transaction(async (tx) => {
        await requireRun(tx, a.runId);
        if (!(await insertApproval(tx, a))) return false;
        await appendAudit(tx, now, entry);
        await setStatus(tx, a.runId, status, fence.epoch());
        if (step) await updateStep(tx, a.runId, step.stepId, step.patch, fence.epoch());
        return true;
      }),
    approvals: async (runId) => (await sql.all<ApprovalRow>(`SELECT * FROM approvals WHERE run_id = ? ORDER BY ${byInsertion}`, [runId])).map(toApproval),
    active: async () => (await sql.all<RunRow>("SELECT * FROM runbook_runs WHERE status IN ('running', 'awaiting-approval') ORDER BY seq")).map(toRun),
    requestAbort: async (id, request) =>
      (await sql.run("UPDATE runbook_runs SET abort_request = ? WHERE id = ? AND abort_request IS NULL AND status NOT IN ('succeeded', 'failed', 'aborted', 'compensated')", [
        JSON.stringify(request), id,
      ])).changes === 1,
  };
}
