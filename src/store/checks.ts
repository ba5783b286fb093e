/** Check results: every Result kept as JSON, newest last by insertion order. */
import type Database from 'better-sqlite3';
import type { Result } from '../core/result.js';
import type { CheckRecord, Store } from './types.js';

interface Row {
  suite: string;
  check_id: string;
  result: string;
}

const toRecord = (row: Row): CheckRecord => ({ suite: row.suite, check: row.check_id, result: JSON.parse(row.result) as Result });

export function checksTable(db: Database.Database): Store['checks'] {
  const insert = db.prepare('INSERT INTO check_results (suite, check_id, status, started_at, result) VALUES (?, ?, ?, ?, ?)');
  const latest = db.prepare<[], Row>(
    'SELECT suite, check_id, result FROM check_results WHERE seq IN (SELECT MAX(seq) FROM check_results GROUP BY suite, check_id) ORDER BY suite, check_id',
  );
  const history = db.prepare<[string, string, number], Row>(
    'SELECT suite, check_id, result FROM check_results WHERE suite = ? AND check_id = ? ORDER BY seq DESC LIMIT ?',
  );
  const lengths = db.prepare<[], { suite: string; check_id: string; length: number }>(
    'SELECT suite, check_id, COUNT(*) AS length FROM check_results GROUP BY suite, check_id ORDER BY suite, check_id',
  );
  const prune = db.prepare<[number]>(`
    DELETE FROM check_results WHERE status <> 'fail' AND seq IN (
      SELECT seq FROM (
        SELECT seq, ROW_NUMBER() OVER (PARTITION BY suite, check_id ORDER BY seq DESC) AS newness FROM check_results
      ) WHERE newness > ?
    )`);
  return {
    record(suite, check, result) {
      insert.run(suite, check, result.status, result.startedAt, JSON.stringify(result));
    },
    latest: () => latest.all().map(toRecord),
    history: (suite, check, limit) => history.all(suite, check, limit).map(toRecord),
    historyLengths: () => lengths.all().map((row) => ({ suite: row.suite, check: row.check_id, length: row.length })),
    prune(keep) {
      prune.run(keep);
    },
  };
}
