/**
 * The SQLite store: the contract, then what only SQLite has — one process at a time on a state
 * directory, held by an OS file lock that a second open in this process or another is refused.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { storeContract, type StoreEngine } from '../contract/store.js';
import { ManualClock } from './temp-store.js';
import { TS_LOADER } from '../helpers/ts-loader.js';

const sqlite: StoreEngine = {
  name: 'sqlite',
  async open(t, clock = new ManualClock()) {
    const file = join(t.testdir(), 'state', 'drsentinel.sqlite');
    let current = openStore(file, { clock });
    t.teardown(() => current.close());
    let raw: Database.Database | undefined;
    t.teardown(() => raw?.close());
    return {
      store: current,
      clock,
      async reopen() {
        await current.close();
        current = openStore(file, { clock });
        return current;
      },
      async tamper(sql, params = []) {
        raw ??= new Database(file);
        raw.prepare(sql).run(...params);
      },
    };
  },
};

await t.test('SQLite passes the Store contract', (t) => storeContract(t, sqlite));

await t.test('a second open of the state directory is refused, naming the holder, until the first closes', async (t) => {
  const dir = join(t.testdir(), 'state');
  const file = join(dir, 'drsentinel.sqlite');
  const first = openStore(file, { writer: 'drsentinel serve' });
  let closed = false;
  t.teardown(() => (closed ? undefined : first.close()));
  t.throws(() => openStore(file, { writer: 'drsentinel sync' }), {
    name: 'ConflictError',
    message: new RegExp(`the state directory ${dir} is in use by drsentinel serve \\(pid ${process.pid} on `),
  });
  t.throws(() => openStore(join(dir, 'another.sqlite')), { name: 'ConflictError' }, 'the lock is the directory, whatever the file');
  first.lock?.describe({ api: 'http://127.0.0.1:8080' });
  t.throws(() => openStore(file), { name: 'ConflictError', message: /API http:\/\/127\.0\.0\.1:8080.*through its API instead \(http:\/\/127\.0\.0\.1:8080\/api\/v1/ });
  await first.reports.save({ kind: 'monthly', period: '2026-03', format: 'md', body: '# ok' });
  await first.close();
  closed = true;
  const second = openStore(file, { writer: 'drsentinel sync' });
  t.teardown(() => second.close());
  t.equal((await second.reports.list(10)).length, 1, 'the same store, once the first let go');
});

/** `test/store/hold-state-dir.ts` in a process of its own, with the loader this test runs under. */
function holder(t: Test, file: string, writer: string) {
  const child = spawn(process.execPath, [...TS_LOADER, join(import.meta.dirname, 'hold-state-dir.ts'), file, writer], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const firstLine = async () => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      return (await lines.next()).value as string | undefined;
    } finally {
      clearTimeout(timer);
    }
  };
  return { child: child as ChildProcess, exited, firstLine };
}

await t.test('the lock holds across processes, and dies with the process that held it', async (t) => {
  const dir = join(t.testdir(), 'state');
  const file = join(dir, 'drsentinel.sqlite');
  const other = holder(t, file, 'drsentinel sync');
  t.equal(await other.firstLine(), 'held');
  t.throws(() => openStore(file, { writer: 'drsentinel serve' }), {
    name: 'ConflictError',
    message: new RegExp(`in use by drsentinel sync \\(pid ${other.child.pid} on `),
  });
  other.child.kill('SIGKILL');
  await other.exited;
  const store = openStore(file, { writer: 'drsentinel serve' });
  t.teardown(() => store.close());
  await t.resolves(store.ping(), 'a crash leaves no stale lock: the kernel let go of it');

  const refused = holder(t, file, 'drsentinel check');
  t.match(await refused.firstLine(), new RegExp(`^refused: ConflictError: .*in use by drsentinel serve \\(pid ${process.pid} on `));
  t.same(await refused.exited, [3, null]);
});
