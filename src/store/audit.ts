/**
 * The audit log, hash-chained: each row's hash covers its own fields and the previous row's
 * hash, so editing, inserting or deleting a row in the middle breaks the chain at that row.
 * Rewriting every later hash, or cutting rows off the end, is only detectable against a hash
 * kept elsewhere (a report, a ticket): `verify` reports rows and checks internal consistency;
 * `incrementalVerifier` does the same for the rows appended since it last looked.
 */
import { createHash } from 'node:crypto';
import type { Sql } from './sql.js';
import type { AuditEntry, AuditRow, AuditVerdict, Store } from './types.js';

export const GENESIS_HASH = '0'.repeat(64);

interface Row {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: string;
  prev_hash: string;
  hash: string;
}

/** JSON with object keys sorted at every depth: one text per value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function auditHash(row: Omit<AuditRow, 'hash'>): string {
  const { seq, at, actor, action, target, details, prevHash } = row;
  return createHash('sha256').update(canonicalJson({ seq, at, actor, action, target, details, prevHash })).digest('hex');
}

/** The last row of a verified stretch of the chain: the next row must carry `seq + 1` and link to `hash`. */
interface ChainEnd {
  seq: number;
  hash: string;
}

const CHAIN_START: ChainEnd = { seq: 0, hash: GENESIS_HASH };

/** Where and why `row` fails to continue the chain after `end`; undefined when it continues it. */
function breakIn(end: ChainEnd, row: AuditRow): AuditVerdict['firstBad'] {
  const expectedSeq = end.seq + 1;
  if (row.seq !== expectedSeq) {
    const missing = row.seq - 1 === expectedSeq ? `row ${expectedSeq} is` : `rows ${expectedSeq}–${row.seq - 1} are`;
    return { seq: expectedSeq, reason: `${missing} missing: the log jumps from ${end.seq} to ${row.seq}, so rows were deleted` };
  }
  if (row.prevHash !== end.hash) {
    return {
      seq: row.seq,
      reason:
        row.seq === 1
          ? 'the first row does not start the chain: rows before it were deleted or it was inserted'
          : `its link to row ${row.seq - 1} is broken: a row was inserted or deleted here, or row ${row.seq - 1} was rewritten`,
    };
  }
  if (auditHash(row) !== row.hash) return { seq: row.seq, reason: 'its contents no longer match its hash: the row was edited after it was written' };
  return undefined;
}

const toRow = (r: Row): AuditRow => ({
  seq: r.seq,
  at: r.at,
  actor: r.actor,
  action: r.action,
  target: r.target,
  details: JSON.parse(r.details) as Record<string, unknown>,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** Serializes appends across PostgreSQL replicas: the chain has one end. */
const AUDIT_LOCK = 7_340_212;

/** Appends `entry` inside `tx`, which the caller commits with the rest of its work. */
export async function appendAudit(tx: Sql, now: () => Date, entry: AuditEntry): Promise<AuditRow> {
  // Read-then-write under one lock: two appends never claim the same predecessor.
  if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(?)', [AUDIT_LOCK]);
  const previous = await tx.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  // What is hashed is exactly what is stored: the details after a JSON round trip.
  const details = JSON.parse(canonicalJson(entry.details ?? {})) as Record<string, unknown>;
  const unsigned = {
    seq: (previous?.seq ?? 0) + 1,
    at: now().toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    details,
    prevHash: previous?.hash ?? GENESIS_HASH,
  };
  const row: AuditRow = { ...unsigned, hash: auditHash(unsigned) };
  await tx.run('INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
    row.seq, row.at, row.actor, row.action, row.target, canonicalJson(details), row.prevHash, row.hash,
  ]);
  return row;
}

export function auditLog(sql: Sql, now: () => Date): Store['audit'] {
  const page = async (afterSeq: number, limit: number) =>
    (await sql.all<Row>('SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?', [afterSeq, limit]));

  /** Every row, a page at a time, in order. */
  async function* everyRow(): AsyncGenerator<Row> {
    let after = 0;
    for (;;) {
      const rows = await page(after, PAGE_SIZE);
      yield* rows;
      if (rows.length < PAGE_SIZE) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  async function verify(): Promise<AuditVerdict> {
    const rows = (await sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM audit_log'))!.n;
    let end = CHAIN_START;
    for await (const raw of everyRow()) {
      let row: AuditRow;
      try {
        row = toRow(raw);
      } catch {
        return { ok: false, rows, firstBad: { seq: raw.seq, reason: 'its details are no longer valid JSON: the row was edited after it was written' } };
      }
      const firstBad = breakIn(end, row);
      if (firstBad) return { ok: false, rows, firstBad };
      end = { seq: row.seq, hash: row.hash };
    }
    return { ok: true, rows };
  }

  return {
    append: (entry) => sql.transaction((tx) => appendAudit(tx, now, entry)),
    list: async ({ limit, afterSeq }) => (await page(afterSeq ?? 0, limit)).map(toRow),
    verify,
  };
}

/** Rows read and hashed at a time when following the chain. */
const PAGE_SIZE = 1000;

/**
 * A verifier that remembers, in memory, where the chain was last verified to end, and on each
 * call re-hashes only the rows appended since: the audit page answers in time proportional to
 * what is new, not to the whole log. The remembered last row is read again first; if it no
 * longer stands (the log was cut back or rewritten from there on) the chain is followed from
 * its start. An edit to an older row is not seen here: the full `verify` (`drsentinel audit
 * verify`, `GET /api/v1/audit?verify=true`) re-hashes every row. A break, or a row that can no
 * longer be read, is judged by the full `verify`, so the verdict is the same either way.
 */
export function incrementalVerifier(audit: Pick<Store['audit'], 'list' | 'verify'>): () => Promise<AuditVerdict> {
  let verified = CHAIN_START;

  const stillStands = async (end: ChainEnd) => end.seq === 0 || (await audit.list({ afterSeq: end.seq - 1, limit: 1 }))[0]?.hash === end.hash;

  const extend = async (from: ChainEnd): Promise<ChainEnd | undefined> => {
    let end = from;
    for (;;) {
      const page = await audit.list({ afterSeq: end.seq, limit: PAGE_SIZE });
      for (const row of page) {
        if (breakIn(end, row)) return undefined;
        end = { seq: row.seq, hash: row.hash };
      }
      if (page.length < PAGE_SIZE) return end;
    }
  };

  const follow = async (): Promise<ChainEnd | undefined> => {
    try {
      return await extend((await stillStands(verified)) ? verified : CHAIN_START);
    } catch (err) {
      // Details that no longer parse were edited in the database.
      if (err instanceof SyntaxError) return undefined;
      throw err;
    }
  };

  return async () => {
    const end = await follow();
    if (!end) return audit.verify();
    verified = end;
    return { ok: true, rows: end.seq };
  };
}
