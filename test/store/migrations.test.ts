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

t.test('an empty file is migrated to the newest version, creating its folder', async (t) => {
  const file = join(t.testdir(), 'deep', 'er', 'store.sqlite');
  openStore(file).close();
  const seen = inspect(file);
  t.same(seen.tables, TABLES);
  t.same(seen.versions.map((v) => v.version), MIGRATIONS.map((_, i) => i + 1));
  t.equal(seen.journal, 'wal');
});

t.test('reopening an existing store keeps its data and does not migrate again', async (t) => {
  const file = join(t.testdir(), 'store.sqlite');
  const first = openStore(file);
  first.reports.save({ kind: 'monthly', period: '2026-03', format: 'md', body: '# ok' });
  first.close();
  const before = inspect(file).versions;
  const again = openStore(file);
  t.teardown(() => again.close());
  t.same(inspect(file).versions, before, 'no migration recorded twice');
  t.equal(again.reports.list(10).length, 1);
});

t.test('a store newer than the code is refused with a clear error', async (t) => {
  const file = join(t.testdir(), 'store.sqlite');
  openStore(file).close();
  const db = new Database(file);
  db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(MIGRATIONS.length + 1, new Date().toISOString());
  db.close();
  t.throws(() => openStore(file), {
    name: 'UsageError',
    message: new RegExp(`schema version ${MIGRATIONS.length + 1}, newer than the ${MIGRATIONS.length} this drsentinel knows`),
  });
});
