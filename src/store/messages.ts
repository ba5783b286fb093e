/**
 * Every message of an incident (R14–R16), with its time: internal ones as sent, external ones
 * held until a CTO approves them. The text is stored as sent, so the timeline reads it later.
 * Whoever moves a message to `sending` is the one who delivers it: each move is a conditional
 * update, so a message goes out once however many people press approve at the same moment.
 */
import { randomUUID } from 'node:crypto';
import { appendAudit } from './audit.js';
import type { Sql } from './sql.js';
import type { MessageRecord, Store } from './types.js';

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

export function messagesTable(sql: Sql, now: () => Date): Store['messages'] {
  const get = (db: Sql, id: string) => db.get<Row>('SELECT * FROM messages WHERE id = ?', [id]);
  // Conditional updates: of two callers racing for the same message, exactly one changes the
  // row, whichever process they are in; the other learns it from `changes`. The audit row is
  // written with the change, or not at all.
  const claimAudited = (update: string, params: Array<string | null>, entry: Parameters<typeof appendAudit>[2]) =>
    sql.transaction(async (tx) => {
      if ((await tx.run(update, params)).changes !== 1) return false;
      await appendAudit(tx, now, entry);
      return true;
    });
  return {
    async create(message) {
      const id = randomUUID();
      await sql.run('INSERT INTO messages (id, run_id, kind, audience, status, subject, body, created_by, created_at, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        id, message.runId ?? null, message.kind, message.audience, message.status, message.subject, message.body, message.createdBy, now().toISOString(),
        message.decidedBy ?? null,
      ]);
      return toRecord((await get(sql, id))!);
    },
    async get(id) {
      const row = await get(sql, id);
      return row && toRecord(row);
    },
    list: async (limit) => (await sql.all<Row>('SELECT * FROM messages ORDER BY seq DESC LIMIT ?', [limit])).map(toRecord),
    forRun: async (runId) => (await sql.all<Row>('SELECT * FROM messages WHERE run_id = ? ORDER BY seq', [runId])).map(toRecord),
    decide: (id, outcome, entry) =>
      claimAudited("UPDATE messages SET status = ?, decided_by = ? WHERE id = ? AND status = 'awaiting-approval'", [outcome.status, outcome.decidedBy, id], entry),
    retry: (id, entry) =>
      claimAudited("UPDATE messages SET status = 'sending', error = NULL WHERE id = ? AND (status = 'failed' OR (status = 'sending' AND error IS NOT NULL))", [id], entry),
    async settle(id, outcome) {
      await sql.run("UPDATE messages SET status = ?, sent_at = ?, channels = ?, error = ? WHERE id = ? AND status = 'sending'", [
        outcome.status, outcome.status === 'sent' ? now().toISOString() : null, JSON.stringify(outcome.channels), outcome.error ?? null, id,
      ]);
      return toRecord((await get(sql, id))!);
    },
    markInterrupted: async (note) => (await sql.run("UPDATE messages SET error = ? WHERE status = 'sending' AND error IS NULL", [note])).changes,
  };
}
