/**
 * PostgreSQL for the store's tests: one throwaway cluster per test process (started on first
 * use, stopped at exit), or the server named by DRSENTINEL_TEST_POSTGRES; a fresh database per
 * test, dropped when it ends. Without PostgreSQL installed, the tests that need it are skipped
 * with the reason (`npm test` installs it first, scripts/test-prerequisites.sh, so CI never skips them).
 */
import type { Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresBinaries, startPostgres } from '../../lab/postgres.js';

let server: Promise<string> | undefined;

function serverUrl(): Promise<string> {
  server ??= (async () => {
    if (process.env.DRSENTINEL_TEST_POSTGRES) return process.env.DRSENTINEL_TEST_POSTGRES;
    const dir = mkdtempSync(join(tmpdir(), 'drsentinel-pg-'));
    const cluster = await startPostgres(dir);
    process.on('exit', () => {
      cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    return cluster.url;
  })();
  return server;
}

export const postgresMissing = !process.env.DRSENTINEL_TEST_POSTGRES && !postgresBinaries()
  ? 'PostgreSQL is not installed (apt-get install -y postgresql, as npm test does first when it may)'
  : undefined;

/** The URL of a new, empty database on the test server, dropped at the end of `t`. */
export async function freshDatabase(t: Test): Promise<string> {
  const adminUrl = await serverUrl();
  const url = new URL(adminUrl);
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  t.teardown(async () => {
    const again = new pg.Client({ connectionString: adminUrl });
    await again.connect();
    await again.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await again.end();
  });
  url.pathname = `/${name}`;
  return url.toString();
}
