/**
 * GET /api/v1/audit over a long log: each call hashes only what is new; ?verify=true re-hashes
 * the whole chain and catches a row edited directly in SQLite.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { createMetrics } from '../../src/metrics/index.js';
import { auditHash, canonicalJson, GENESIS_HASH } from '../../src/store/audit.js';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';
import { harness, testConfig, tokenOf } from './harness.js';

const ROWS = 5000;

/** `count` well-chained rows in one transaction: appending them one by one would sync the disk each time. */
function fillChain(raw: Database.Database, count: number): void {
  const insert = raw.prepare('INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  raw.transaction(() => {
    let prevHash = GENESIS_HASH;
    for (let seq = 1; seq <= count; seq++) {
      const row = { seq, at: '2025-03-03T09:00:00.000Z', actor: 'alice', action: 'sync.run', target: `flow-${seq % 3}`, details: { seq }, prevHash };
      prevHash = auditHash(row);
      insert.run(row.seq, row.at, row.actor, row.action, row.target, canonicalJson(row.details), row.prevHash, prevHash);
    }
  })();
}

/** The app over a store whose audit log records what is read from it and how often the whole chain is verified. */
async function setUp(t: Test) {
  const file = join(t.testdir(), 'drsentinel.db');
  const clock = { now: () => new Date('2025-03-03T10:00:00Z') };
  const store = openStore(file, { clock });
  t.teardown(() => store.close());
  const raw = new Database(file);
  t.teardown(() => raw.close());
  fillChain(raw, ROWS);

  const reads: Array<{ afterSeq: number; rows: number }> = [];
  let fullVerifies = 0;
  const audit: Store['audit'] = {
    ...store.audit,
    list: async (opts) => {
      const rows = await store.audit.list(opts);
      reads.push({ afterSeq: opts.afterSeq ?? 0, rows: rows.length });
      return rows;
    },
    verify: () => {
      fullVerifies++;
      return store.audit.verify();
    },
  };
  const app = await buildApp({ config: testConfig(), store: { ...store, audit }, metrics: createMetrics(), clock });
  t.teardown(() => app.close());
  const get = async (query = '') => {
    reads.length = 0;
    const res = await app.inject({ url: `/api/v1/audit${query}`, headers: { authorization: `Bearer ${tokenOf('viewer')}` } });
    t.equal(res.statusCode, 200, res.body.slice(0, 300));
    return res.json() as { rows: Array<{ seq: number }>; verified: { ok: boolean; rows: number; firstBad?: { seq: number; reason: string } } };
  };
  return { store, raw, get, reads, fullVerifies: () => fullVerifies };
}

const rowsRead = (reads: Array<{ rows: number }>) => reads.reduce((sum, r) => sum + r.rows, 0);

t.test(`with ${ROWS} rows, a GET after the first reads only the rows appended since`, async (t) => {
  const { store, get, reads, fullVerifies } = await setUp(t);
  t.same((await get('?limit=1')).verified, { ok: true, rows: ROWS }, 'the first GET follows the whole chain once');
  t.ok(rowsRead(reads) >= ROWS);

  await store.audit.append({ actor: 'bob', action: 'report.monthly', target: 'r-1', details: {} });
  await store.audit.append({ actor: 'bob', action: 'check.run', target: 'smoke', details: {} });
  const page = await get(`?afterSeq=${ROWS}`);
  t.same(page.rows.map((r) => r.seq), [ROWS + 1, ROWS + 2]);
  t.same(page.verified, { ok: true, rows: ROWS + 2 });
  t.ok(reads.every((r) => r.afterSeq >= ROWS - 1), `every read starts at the last verified row or after it: ${JSON.stringify(reads)}`);
  t.ok(rowsRead(reads) <= 5, 'the page (2 rows), the remembered last row and the 2 new rows');
  t.equal(fullVerifies(), 0, 'the whole chain is never re-hashed without ?verify=true');
});

t.test('?verify=true re-hashes the whole chain and catches a row edited in SQLite', async (t) => {
  const { raw, get, fullVerifies } = await setUp(t);
  t.equal((await get()).verified.ok, true);
  raw.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1234").run();

  t.same((await get()).verified, { ok: true, rows: ROWS }, 'the incremental verdict, as documented, does not re-hash old rows');
  const full = await get('?verify=true');
  t.same(full.verified, { ok: false, rows: ROWS, firstBad: { seq: 1234, reason: 'its contents no longer match its hash: the row was edited after it was written' } });
  t.equal(fullVerifies(), 1);
});

t.test('the OpenAPI document says the verdict is incremental unless ?verify=true', async (t) => {
  const { app } = await harness(t);
  const operation = (await app.inject({ url: '/docs/json' })).json().paths['/api/v1/audit'].get;
  t.match(operation.parameters.find((p: { name: string }) => p.name === 'verify'), { in: 'query', schema: { type: 'boolean', default: false } });
  t.match(operation.responses['200'].content['application/json'].schema.properties.verified.description, /^The chain verdict\. Incremental unless \?verify=true/);
});
