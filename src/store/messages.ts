/**
 * Every message of an incident (R14–R16), with its time: internal ones as sent, external ones
 * held until a CTO approves them. The text is stored as sent, so the timeline reads it later.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
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

export function messagesTable(db: Database.Database, now: () => Date): Store['messages'] {
  const insert = db.prepare(
    'INSERT INTO messages (id, run_id, kind, audience, status, subject, body, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const get = db.prepare<[string], Row>('SELECT * FROM messages WHERE id = ?');
  const list = db.prepare<[number], Row>('SELECT * FROM messages ORDER BY seq DESC LIMIT ?');
  const forRun = db.prepare<[string], Row>('SELECT * FROM messages WHERE run_id = ? ORDER BY seq');
  const update = db.prepare('UPDATE messages SET status = ?, decided_by = COALESCE(?, decided_by), sent_at = ?, channels = ?, error = ? WHERE id = ?');
  return {
    create(message) {
      const id = randomUUID();
      insert.run(id, message.runId ?? null, message.kind, message.audience, message.status, message.subject, message.body, message.createdBy, now().toISOString());
      return toRecord(get.get(id)!);
    },
    get(id) {
      const row = get.get(id);
      return row && toRecord(row);
    },
    list: (limit) => list.all(limit).map(toRecord),
    forRun: (runId) => forRun.all(runId).map(toRecord),
    settle(id, outcome) {
      update.run(outcome.status, outcome.decidedBy ?? null, outcome.status === 'sent' ? now().toISOString() : null, JSON.stringify(outcome.channels ?? []), outcome.error ?? null, id);
      return toRecord(get.get(id)!);
    },
  };
}
