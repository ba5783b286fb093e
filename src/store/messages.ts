/**
 * Every message of an incident (R14–R16), with its time: internal ones as sent, external ones
 * held until a CTO approves them. The text is stored as sent, so the timeline reads it later.
 * Whoever moves a message to `sending` is the one who delivers it: each move is a conditional
 * update, so a message goes out once however many people press approve at the same moment.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { auditLog } from './audit.js';
import type { AuditEntry, MessageRecord, Store } from './types.js';

interface Row {
  id: string;
  run_id: string | null;
  kind: string;
  audience: MessageRecord['audience'];
  status: MessageRecord['status'];
  subject: string;
  body: string;
  created_by: string;
  created_at: string;
  decided_by: string | null;
  sent_at: string | null;
  channels: string;
  error: string | null;
}

const toRecord = (row: Row): MessageRecord => ({
  id: row.id,
  ...(row.run_id ? { runId: row.run_id } : {}),
  kind: row.kind,
  audience: row.audience,
  status: row.status,
  subject: row.subject,
  body: row.body,
  createdBy: row.created_by,
  createdAt: row.created_at,
  ...(row.decided_by ? { decidedBy: row.decided_by } : {}),
  ...(row.sent_at ? { sentAt: row.sent_at } : {}),
  channels: JSON.parse(row.channels) as string[],
  ...(row.error ? { error: row.error } : {}),
});

export function messagesTable(db: Database.Database, now: () => Date): Store['messages'] {
  const insert = db.prepare(
    'INSERT INTO messages (id, run_id, kind, audience, status, subject, body, created_by, created_at, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const get = db.prepare<[string], Row>('SELECT * FROM messages WHERE id = ?');
  const list = db.prepare<[number], Row>('SELECT * FROM messages ORDER BY seq DESC LIMIT ?');
  const forRun = db.prepare<[string], Row>('SELECT * FROM messages WHERE run_id = ? ORDER BY seq');
  // Conditional updates: of two callers racing for the same message, exactly one changes the
  // row, whichever process they are in; the other learns it from `changes`.
  const claimHeld = db.prepare("UPDATE messages SET status = ?, decided_by = ? WHERE id = ? AND status = 'awaiting-approval'");
  const claimAgain = db.prepare(
    "UPDATE messages SET status = 'sending', error = NULL WHERE id = ? AND (status = 'failed' OR (status = 'sending' AND error IS NOT NULL))",
  );
  const settle = db.prepare("UPDATE messages SET status = ?, sent_at = ?, channels = ?, error = ? WHERE id = ? AND status = 'sending'");
  const markInterrupted = db.prepare("UPDATE messages SET error = ? WHERE status = 'sending' AND error IS NULL");
  // The audit log is stateless beyond its table: this one chains onto the same rows.
  const audit = auditLog(db, now);
  const decide = db.transaction((id: string, outcome: { status: 'sending' | 'rejected'; decidedBy: string }, entry: AuditEntry): boolean => {
    if (claimHeld.run(outcome.status, outcome.decidedBy, id).changes !== 1) return false;
    audit.append(entry);
    return true;
  });
  const retry = db.transaction((id: string, entry: AuditEntry): boolean => {
    if (claimAgain.run(id).changes !== 1) return false;
    audit.append(entry);
    return true;
  });
  return {
    create(message) {
      const id = randomUUID();
      insert.run(
        id, message.runId ?? null, message.kind, message.audience, message.status, message.subject, message.body, message.createdBy, now().toISOString(),
        message.decidedBy ?? null,
      );
      return toRecord(get.get(id)!);
    },
    get(id) {
      const row = get.get(id);
      return row && toRecord(row);
    },
    list: (limit) => list.all(limit).map(toRecord),
    forRun: (runId) => forRun.all(runId).map(toRecord),
    decide: (id, outcome, entry) => decide(id, outcome, entry),
    retry: (id, entry) => retry(id, entry),
    settle(id, outcome) {
      settle.run(outcome.status, outcome.status === 'sent' ? now().toISOString() : null, JSON.stringify(outcome.channels), outcome.error ?? null, id);
      return toRecord(get.get(id)!);
    },
    markInterrupted: (note) => markInterrupted.run(note).changes,
  };
}
