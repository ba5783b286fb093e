/** Generated reports, kept whole so a report reads the same years later. */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { ReportRecord, Store } from './types.js';

type Row = Omit<ReportRecord, 'createdAt'> & { created_at: string };

const toRecord = ({ created_at, ...rest }: Row): ReportRecord => ({ ...rest, createdAt: created_at });

export function reportsTable(db: Database.Database, now: () => Date): Store['reports'] {
  const insert = db.prepare('INSERT INTO reports (id, kind, period, created_at, format, body) VALUES (?, ?, ?, ?, ?, ?)');
  const get = db.prepare<[string], Row>('SELECT id, kind, period, created_at, format, body FROM reports WHERE id = ?');
  const list = db.prepare<[number], Omit<Row, 'body'>>('SELECT id, kind, period, created_at, format FROM reports ORDER BY seq DESC LIMIT ?');
  const listKind = db.prepare<[string, number], Omit<Row, 'body'>>(
    'SELECT id, kind, period, created_at, format FROM reports WHERE kind = ? ORDER BY seq DESC LIMIT ?',
  );
  return {
    save(report) {
      const record: ReportRecord = { ...report, id: randomUUID(), createdAt: now().toISOString() };
      insert.run(record.id, record.kind, record.period, record.createdAt, record.format, record.body);
      return record;
    },
    get(id) {
      const row = get.get(id);
      return row && toRecord(row);
    },
    list: (limit, kind) => (kind ? listKind.all(kind, limit) : list.all(limit)).map(({ created_at, ...rest }) => ({ ...rest, createdAt: created_at })),
  };
}
