/**
 * The SQL port over PostgreSQL (the `pg` driver), for replicas that share one store. Counts
 * and sums come back as numbers, as SQLite gives them; every statement and connection attempt
 * has a deadline, so a store that stops answering is an error, never a hang.
 */
import pg from 'pg';
import { numbered, type Param, type Sql } from './sql.js';

// int8 (COUNT, SUM, BIGINT keys) as a number: the store's counts stay far below 2^53.
pg.types.setTypeParser(20, (text) => Number(text));
// numeric (SUM of integers) likewise.
pg.types.setTypeParser(1700, (text) => Number(text));

export interface PostgresOptions {
  url: string;
  /** Deadline of a statement and of a connection attempt. */
  timeoutMs?: number;
  onError?: (err: Error) => void;
}

function over(client: pg.Pool | pg.PoolClient): Omit<Sql, 'transaction'> {
  return {
    dialect: 'postgres',
    all: async <T>(sql: string, params: readonly Param[] = []) => (await client.query(numbered(sql), [...params])).rows as T[],
    get: async <T>(sql: string, params: readonly Param[] = []) => (await client.query(numbered(sql), [...params])).rows[0] as T | undefined,
    run: async (sql, params = []) => ({ changes: (await client.query(numbered(sql), [...params])).rowCount ?? 0 }),
    exec: async (sql) => void (await client.query(sql)),
  };
}

export function postgresSql(o: PostgresOptions): Sql & { end(): Promise<void> } {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: o.url,
    max: 8,
    connectionTimeoutMillis: timeoutMs,
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs + 1_000,
    idle_in_transaction_session_timeout: timeoutMs * 3,
    keepAlive: true,
  });
  // An idle client that loses its server is dropped by the pool; this only keeps the process up.
  pool.on('error', (err) => o.onError?.(err));
  return {
    ...over(pool),
    async transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      const tx: Sql = { ...over(client), transaction: () => Promise.reject(new Error('a transaction does not nest')) };
      try {
        await client.query('BEGIN');
        const value = await work(tx);
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    end: () => pool.end(),
  };
}
