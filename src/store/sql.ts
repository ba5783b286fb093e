/**
 * What the store's tables ask of a SQL database, in one shape for SQLite and PostgreSQL: the
 * tables are written once against it, with `?` placeholders and the SQL both engines speak.
 * The few places where the two differ ask `dialect`.
 */
export type Dialect = 'sqlite' | 'postgres';

export type Param = string | number | null;

export interface Sql {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: readonly Param[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly Param[]): Promise<T | undefined>;
  /** A write; `changes` counts the rows it touched. */
  run(sql: string, params?: readonly Param[]): Promise<{ changes: number }>;
  /** Several statements with no `?` (schema). */
  exec(sql: string): Promise<void>;
  /** `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
}

/** A row that broke a UNIQUE constraint or index, in either engine's words. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

/** `?` placeholders as PostgreSQL numbers them. The store's SQL never holds `?` in a literal. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
