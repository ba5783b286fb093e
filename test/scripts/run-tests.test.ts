import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const RUNNER = resolve(import.meta.dirname, '../../scripts/run-tests.ts');

/** A project of its own: tap settings in package.json and the test files given. */
function project(t: Test, files: Record<string, string | Record<string, string>>, tap: Record<string, unknown> = {}): string {
  return t.testdir({
    'package.json': JSON.stringify({ type: 'module', tap: { include: ['t/**/*.test.mjs'], jobs: 2, ...tap } }),
    t: files,
  });
}

/**
 * The environment a shell would give the runner: without what a runner above this test set
 * (under tap's, a test process leaves out its closing summary line, and loads tap's hooks).
 */
function shellEnv(): NodeJS.ProcessEnv {
  const fromRunner = (key: string) => key === 'TAP' || key.startsWith('TAP_') || key.startsWith('_TAPJS_') || key === 'NODE_OPTIONS';
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !fromRunner(key)));
}

function run(cwd: string, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import=tsx', RUNNER, ...args], { cwd, env: shellEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

const passing = `import t from 'tap';\nt.test('adds', async (t) => { t.equal(1 + 1, 2); t.ok(true); });\nt.skip('later');\n`;
const failing = `import t from 'tap';\nt.test('wrong sum', async (t) => { t.equal(1 + 1, 3, 'one and one make three'); t.pass('fine'); });\nconsole.error('a line on stderr');\n`;
const dying = `import t from 'tap';\nt.pass('before dying');\nprocess.exit(3);\n`;

t.test('every file passing: exit 0, one line per file, and tap\'s summary of all assertions', async (t) => {
  const dir = project(t, { 'a.test.mjs': passing, sub: { 'b.test.mjs': passing } });
  const { code, stdout } = await run(dir);
  t.equal(code, 0);
  t.match(stdout, /^TAP version 14\n# 2 test files, 2 at a time\n/);
  t.match(stdout, /^ok \d - t\/a\.test\.mjs # time=\d+ms 2 passed, 1 skipped$/m);
  t.match(stdout, /^ok \d - t\/sub\/b\.test\.mjs # time=\d+ms 2 passed, 1 skipped$/m);
  t.match(stdout, /^1\.\.2\n# \{ total: 6, pass: 4, fail: 0, skip: 2 \}\n/m);
});

t.test('a failing assertion and a dying file fail the run; both are shown whole, with stderr and how they ended', async (t) => {
  const dir = project(t, { 'pass.test.mjs': passing, 'fail.test.mjs': failing, 'die.test.mjs': dying });
  const { code, stdout } = await run(dir);
  t.equal(code, 1);
  t.match(stdout, /^ok \d - t\/pass\.test\.mjs/m);
  t.match(stdout, /^not ok \d - t\/fail\.test\.mjs # time=\d+ms 1 passed, 1 failed$/m);
  t.match(stdout, /^# Subtest: t\/fail\.test\.mjs\n(    .*\n)*    +not ok 1 - one and one make three\n/m, 'the failed assertion is in the output');
  t.match(stdout, /^    # stderr:\n    # a line on stderr\n    # exit code 1\nnot ok/m);
  // It printed one passing assertion and its own summary, then died: one failure more.
  t.match(stdout, /^not ok \d - t\/die\.test\.mjs # time=\d+ms 1 passed, 1 failed$/m);
  t.match(stdout, /^    # exit code 3\nnot ok \d - t\/die\.test\.mjs/m);
  t.match(stdout, /^# failed files:\n#   t\/(fail|die)\.test\.mjs\n#   t\/(fail|die)\.test\.mjs\n/m);
  t.match(stdout, /^# \{ total: 7, pass: 4, fail: 2, skip: 1 \}$/m);
});

t.test('a file that never ends is killed past tap\'s timeout and its grace, and named', async (t) => {
  // Blocks the thread without using CPU; tap's own timer cannot fire either.
  const stuck = `import t from 'tap';\nt.pass('started');\nAtomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);\n`;
  const dir = project(t, { 'stuck.test.mjs': stuck, 'pass.test.mjs': passing }, { timeout: 1 });
  const { code, stdout } = await run(dir);
  t.equal(code, 1);
  t.match(stdout, /^    # killed: still running 11 s after it started\nnot ok \d - t\/stuck\.test\.mjs/m);
  t.match(stdout, /^ok \d - t\/pass\.test\.mjs/m, 'the other file still ran');
});

t.test('a file that leaves a process holding its output fails, naming that, and the run goes on', async (t) => {
  // The process left behind sleeps with the file's stdout and stderr; its pid is written beside it.
  const leaky = `import t from 'tap';\nimport { spawn } from 'node:child_process';\nimport { writeFileSync } from 'node:fs';\n` +
    `const child = spawn('sleep', ['60'], { stdio: 'inherit' });\nwriteFileSync('left.pid', String(child.pid));\nchild.unref();\nt.pass('done');\n`;
  const dir = project(t, { 'leaky.test.mjs': leaky, 'pass.test.mjs': passing });
  const { code, stdout } = await run(dir);
  process.kill(Number(readFileSync(join(dir, 'left.pid'), 'utf8')), 'SIGKILL');
  t.equal(code, 1);
  t.match(stdout, /^    # exit code 0; a process it started still held its output open 5 s after it ended\nnot ok \d - t\/leaky\.test\.mjs # time=\d+ms 1 passed, 1 failed$/m);
  t.match(stdout, /^ok \d - t\/pass\.test\.mjs/m);
});

t.test('files and folders named on the command line, and --jobs', async (t) => {
  const dir = project(t, { 'a.test.mjs': passing, sub: { 'b.test.mjs': passing, 'c.test.mjs': failing } });
  const some = await run(dir, 't/a.test.mjs', 't/sub/b.test.mjs', '--jobs', '1');
  t.equal(some.code, 0);
  t.match(some.stdout, /^# 2 test files, 1 at a time$/m);
  const folder = await run(dir, 't/sub/', '--jobs=3');
  t.equal(folder.code, 1);
  t.match(folder.stdout, /^# 2 test files, 2 at a time$/m, 'never more at a time than there are files');
});

t.test('bad arguments stop before any test, saying what is wrong', async (t) => {
  const dir = project(t, { 'a.test.mjs': passing });
  const cases: Array<[string[], string]> = [
    [['t/nothing'], 'no test file (t/**/*.test.mjs) is or lies under: t/nothing\n'],
    [['--jobs', '0'], '--jobs takes a whole number of at least 1, not 0\n'],
    [['--jobs'], '--jobs takes a whole number of at least 1, not nothing\n'],
    [['--jobs=', '2'], '--jobs takes a whole number of at least 1, not nothing\n'],
    [['--grep', 'x'], 'unknown option --grep; the runner takes --jobs N and test files or folders (use npx tap for tap\'s own options)\n'],
  ];
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await run(dir, ...args);
    t.equal(code, 2, args.join(' '));
    t.equal(stderr, message);
    t.equal(stdout, '');
  }
});
