/** Check results: every Result kept as JSON, newest last by insertion order. */
import type { Result } from '../core/result.js';
import type { Sql } from './sql.js';
import type { CheckRecord, Store } from './types.js';

interface Row {
  suite: string;
  check_id: string;
  result: string;
}

const toRecord = (row: Row): CheckRecord => ({ suite: row.suite, check: row.check_id, result: JSON.parse(row.result) as Result });

export function checksTable(sql: Sql): Store['checks'] {
  const prune = `
    DELETE FROM check_results WHERE status <> 'fail' AND seq IN (
      SELECT seq FROM (
        SELECT seq, ROW_NUMBER() OVER (PARTITION BY suite, check_id ORDER BY seq DESC) AS newness FROM check_results
      ) AS ranked WHERE newness > ?
    )`;
  return {
    async record(suite, check, result) {
      await sql.run('INSERT INTO check_results (suite, check_id, status, started_at, result) VALUES (?, ?, ?, ?, ?)', [suite, check, result.status, result.startedAt, JSON.stringify(result)]);
    },
    latest: async () =>
      (await sql.all<Row>('SELECT suite, check_id, result FROM check_results WHERE seq IN (SELECT MAX(seq) FROM check_results GROUP BY suite, check_id) ORDER BY suite, check_id')).map(toRecord),
    history: async (suite, check, limit) =>
      (await sql.all<Row>('SELECT suite, check_id, result FROM check_results WHERE suite = ? AND check_id = ? ORDER BY seq DESC LIMIT ?', [suite, check, limit])).map(toRecord),
    historyLengths: async () =>
      (await sql.all<{ suite: string; check_id: string; length: number }>('SELECT suite, check_id, COUNT(*) AS length FROM check_results GROUP BY suite, check_id ORDER BY suite, check_id'))
        .map((row) => ({ suite: row.suite, check: row.check_id, length: row.length })),
    async prune(keep) {
      await sql.run(prune, [keep]);
    },
  };
}
