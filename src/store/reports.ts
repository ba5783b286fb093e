/** Generated reports, kept whole so a report reads the same years later. */
import { randomUUID } from 'node:crypto';
import type { Sql } from './sql.js';
import type { ReportRecord, Store } from './types.js';

type Row = Omit<ReportRecord, 'createdAt'> & { created_at: string };

const toRecord = ({ created_at, ...rest }: Row): ReportRecord => ({ ...rest, createdAt: created_at });

export function reportsTable(sql: Sql, now: () => Date): Store['reports'] {
  const columns = 'id, kind, period, created_at, format';
  return {
    async save(report) {
      const record: ReportRecord = { ...report, id: randomUUID(), createdAt: now().toISOString() };
      await sql.run('INSERT INTO reports (id, kind, period, created_at, format, body) VALUES (?, ?, ?, ?, ?, ?)', [record.id, record.kind, record.period, record.createdAt, record.format, record.body]);
      return record;
    },
    async get(id) {
      const row = await sql.get<Row>(`SELECT ${columns}, body FROM reports WHERE id = ?`, [id]);
      return row && toRecord(row);
    },
    async list(limit, kind) {
      const rows = kind
        ? await sql.all<Omit<Row, 'body'>>(`SELECT ${columns} FROM reports WHERE kind = ? ORDER BY seq DESC LIMIT ?`, [kind, limit])
        : await sql.all<Omit<Row, 'body'>>(`SELECT ${columns} FROM reports ORDER BY seq DESC LIMIT ?`, [limit]);
      return rows.map(({ created_at, ...rest }) => ({ ...rest, createdAt: created_at }));
    },
  };
}
