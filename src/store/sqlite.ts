/**
 * The SQL port over one SQLite file (better-sqlite3). Statements answer at once; a transaction
 * spans awaits, so statements from elsewhere in the process wait for it to end rather than
 * slip into it: one connection, one transaction at a time.
 */
import type Database from 'better-sqlite3';
import type { Param, Sql } from './sql.js';

export function sqliteSql(db: Database.Database): Sql {
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  let turn: Promise<unknown> = Promise.resolve();
  let inTransaction = false;

  const direct: Sql = {
    dialect: 'sqlite',
    all: async <T>(sql: string, params: readonly Param[] = []) => prepared(sql).all(...params) as T[],
    get: async <T>(sql: string, params: readonly Param[] = []) => prepared(sql).get(...params) as T | undefined,
    run: async (sql, params = []) => ({ changes: prepared(sql).run(...params).changes }),
    exec: async (sql) => void db.exec(sql),
    transaction: () => Promise.reject(new Error('a SQLite transaction does not nest')),
  };
  /** Waits for the transaction in progress, if any, before `work`. */
  const queued = <T>(work: () => Promise<T>): Promise<T> => {
    if (!inTransaction) return work();
    const next = turn.then(work, work);
    turn = next.catch(() => undefined);
    return next;
  };
  return {
    dialect: 'sqlite',
    all: (sql, params) => queued(() => direct.all(sql, params)),
    get: (sql, params) => queued(() => direct.get(sql, params)),
    run: (sql, params) => queued(() => direct.run(sql, params)),
    exec: (sql) => queued(() => direct.exec(sql)),
    transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
      const inOne = async () => {
        inTransaction = true;
        db.exec('BEGIN IMMEDIATE');
        try {
          const value = await work(direct);
          db.exec('COMMIT');
          return value;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        } finally {
          inTransaction = false;
        }
      };
      const next = turn.then(inOne, inOne);
      turn = next.catch(() => undefined);
      return next;
    },
  };
}
