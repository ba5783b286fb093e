import t from 'tap';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { MIGRATIONS } from '../../src/store/migrations.js';

const TABLES = ['approvals', 'audit_log', 'check_results', 'contingencies', 'job_runs', 'messages', 'reports', 'runbook_runs', 'runbook_steps', 'schema_migrations', 'sync_alerts', 'sync_runs'];

function inspect(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return {
      tables: (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name),
      versions: db.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all() as Array<{ version: number; applied_at: string }>,
      journal: db.pragma('journal_mode', { simple: true }),
    };
  } finally {
    db.close();
  }
}

await t.test('an empty file is migrated to the newest version, creating its folder', async (t) => {
  const file = join(t.testdir(), 'deep', 'er', 'store.sqlite');
  await openStore(file).close();
  const seen = inspect(file);
  t.same(seen.tables, TABLES);
  t.same(seen.versions.map((v) => v.version), MIGRATIONS.map((_, i) => i + 1));
  t.equal(seen.journal, 'wal');
});

await t.test('reopening an existing store keeps its data and does not migrate again', async (t) => {
  const file = join(t.testdir(), 'store.sqlite');
  const first = openStore(file);
  await first.reports.save({ kind: 'monthly', period: '2026-03', format: 'md', body: '# ok' });
  await first.close();
  const before = inspect(file).versions;
  const again = openStore(file);
  t.teardown(() => again.close());
  t.same(inspect(file).versions, before, 'no migration recorded twice');
  t.equal((await again.reports.list(10)).length, 1);
});

await t.test('a store newer than the code is refused with a clear error', async (t) => {
  const file = join(t.testdir(), 'store.sqlite');
  await openStore(file).close();
  const db = new Database(file);
  db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(MIGRATIONS.length + 1, new Date().toISOString());
  db.close();
  t.throws(() => openStore(file), {
    name: 'UsageError',
    message: new RegExp(`schema version ${MIGRATIONS.length + 1}, newer than the ${MIGRATIONS.length} this drsentinel knows`),
  });
});

await t.test('a store whose open is refused lets go of the state directory', async (t) => {
  const file = join(t.testdir(), 'store.sqlite');
  await openStore(file).close();
  const db = new Database(file);
  db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(MIGRATIONS.length + 1, new Date().toISOString());
  db.close();
  t.throws(() => openStore(file), { name: 'UsageError' });
  t.throws(() => openStore(file), { name: 'UsageError' }, 'refused for its schema again, not for a lock left held');
});

await t.test('a store of an older version is brought up to date with its data', async (t) => {
  const file = join(t.testdir(), 'store.sqlite');
  const db = new Database(file);
  db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  // Every migration before the one that holds one running sync per flow.
  for (const [i, migration] of MIGRATIONS.slice(0, MIGRATIONS.findIndex((m) => m.includes('one_running_sync'))).entries()) {
    db.exec(migration);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(i + 1, '2026-01-01T00:00:00.000Z');
  }
  const insert = db.prepare("INSERT INTO sync_runs (id, flow, reverse, status, started_at, summary) VALUES (?, ?, 0, ?, ?, '{}')");
  insert.run('old-1', 'site', 'running', '2026-01-01T00:00:00.000Z');
  insert.run('old-2', 'site', 'running', '2026-01-02T00:00:00.000Z');
  insert.run('old-3', 'uploads', 'succeeded', '2026-01-02T00:00:00.000Z');
  db.close();
  const store = openStore(file);
  t.teardown(() => store.close());
  t.same(inspect(file).versions.map((v) => v.version), MIGRATIONS.map((_, i) => i + 1));
  t.match(await store.syncs.get('old-1'), { status: 'interrupted', finishedAt: '2026-01-01T00:00:00.000Z' }, 'of two runs left running in one flow, the older is interrupted');
  t.equal((await store.syncs.get('old-2'))?.status, 'running', 'the newer is left for markInterrupted');
  t.equal((await store.syncs.get('old-3'))?.status, 'succeeded');
  await t.rejects(store.syncs.start('site', false), { name: 'ConflictError', message: /old-2/ });
});
