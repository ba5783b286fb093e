/**
 * The suite's runner (`npm test`): every test file in its own Node process, a few at a time,
 * each file's TAP read by tap's own parser. The files are tap tests and one still runs alone
 * under `npx tap <file>`. The suite is not run by tap's runner because that runner loads its
 * process-info hook (@tapjs/processinfo) into every test process and every process those start,
 * and the hook re-reads and scans each module as it loads: the suite loads the AWS and Azure
 * SDKs in some 125 test processes and starts about 200 emulator and service processes, and under
 * the hook it took twice the CPU (a probe file: 12.9 CPU-s instead of 6.9; the suite: 906 s
 * instead of 424 s on two cores).
 *
 * It reads tap's settings in package.json ("tap": include, jobs, timeout, node-arg) from the
 * directory it runs in, so both ways of running a file agree. Its output is TAP: one line per file
 * as it ends (the whole TAP of a file that failed, with its stderr), then tap's closing summary
 * line, which .ci/run reads.
 *
 *   npm test                                      every file
 *   npm test -- test/probes test/sync/x.test.ts   the files named, and those under the folders named
 *   npm test -- --jobs 4
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { relative, resolve } from 'node:path';
import { glob } from 'glob';
import { Parser } from 'tap-parser';

interface TapSettings {
  include: string[];
  jobs?: number;
  timeout?: number;
  'node-arg'?: string[];
}

interface FileOutcome {
  file: string;
  ok: boolean;
  counts: Counts;
  seconds: number;
  /** What to show of a file that failed: its TAP and its stderr, or why it never reported. */
  detail: string;
}

interface Counts {
  total: number;
  pass: number;
  fail: number;
  skip: number;
  todo: number;
}

const ROOT = process.cwd();
/** A file still running this long after tap's own timeout would have failed it is killed. */
const KILL_GRACE_MS = 10_000;
/** How long the output of a file that has ended may stay open (a process it started still writing). */
const OUTPUT_GRACE_MS = 5_000;

function settings(): TapSettings {
  const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { tap: TapSettings };
  return pkg.tap;
}

function parseArgs(argv: string[], tap: TapSettings): { jobs: number; targets: string[] } {
  let jobs = tap.jobs ?? availableParallelism();
  const targets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--jobs' || arg === '-j' || arg.startsWith('--jobs=')) {
      const value = arg.startsWith('--jobs=') ? arg.slice('--jobs='.length) : argv[++i];
      jobs = Number(value);
      if (!value || !Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs takes a whole number of at least 1, not ${value || 'nothing'}`);
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option ${arg}; the runner takes --jobs N and test files or folders (use npx tap for tap's own options)`);
    } else targets.push(arg);
  }
  return { jobs, targets };
}

async function testFiles(tap: TapSettings, targets: string[]): Promise<string[]> {
  const all = (await glob(tap.include, { cwd: ROOT, posix: true })).sort();
  if (!all.length) throw new Error(`no test file matches ${tap.include.join(', ')} in ${ROOT}`);
  if (!targets.length) return all;
  const wanted = targets.map((t) => relative(ROOT, resolve(t)).split('\\').join('/').replace(/\/$/, ''));
  const chosen = all.filter((f) => wanted.some((w) => f === w || f.startsWith(`${w}/`)));
  const unmatched = wanted.filter((w) => !all.some((f) => f === w || f.startsWith(`${w}/`)));
  if (unmatched.length) throw new Error(`no test file (${tap.include.join(', ')}) is or lies under: ${unmatched.join(', ')}`);
  return chosen;
}

/** tap closes each file with `# { total: 7, pass: 6, fail: 1 }`: the assertions of the whole file. */
function countsFrom(summary: string | undefined, ok: boolean): Counts {
  const count = (key: string) => Number(summary?.match(new RegExp(`\\b${key}: (\\d+)`))?.[1] ?? 0);
  const counts = { total: count('total'), pass: count('pass'), fail: count('fail'), skip: count('skip'), todo: count('todo') };
  // A file that failed without a failed assertion (it died, or left a process behind) counts one.
  if (!ok && counts.fail === 0) {
    counts.fail = 1;
    counts.total += 1;
  }
  return counts;
}

/** The test processes running now, for a stop (Ctrl-C) to end with the runner. */
const running = new Set<ReturnType<typeof spawn>>();

function runFile(file: string, tap: TapSettings): Promise<FileOutcome> {
  const began = Date.now();
  const timeoutSeconds = tap.timeout ?? 30;
  const child = spawn(process.execPath, [...(tap['node-arg'] ?? []), file], {
    cwd: ROOT,
    // TAP=1: tap prints raw TAP; TAP_TIMEOUT: tap fails the file's tests itself past it.
    env: { ...process.env, TAP: '1', TAP_TIMEOUT: String(timeoutSeconds) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  let summary: string | undefined;
  const parser = new Parser();
  parser.on('comment', (line: string) => {
    if (/^# \{ total: \d+/.test(line)) summary = line;
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    parser.write(chunk);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let killedForTime = false;
  const killer = setTimeout(() => {
    killedForTime = true;
    child.kill('SIGKILL');
  }, timeoutSeconds * 1000 + KILL_GRACE_MS);
  // A process the file started and left running with the file's stdout or stderr would keep
  // them open, and the run waiting, for as long as it lives.
  let heldOpen = false;
  child.on('exit', () => {
    setTimeout(() => {
      if (child.stdout.closed && child.stderr.closed) return;
      heldOpen = true;
      child.stdout.destroy();
      child.stderr.destroy();
    }, OUTPUT_GRACE_MS).unref();
  });

  return new Promise((done) => {
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      running.delete(child);
      parser.end();
      const ok = parser.ok && code === 0 && !heldOpen;
      const seconds = (Date.now() - began) / 1000;
      const ended = [
        killedForTime ? `killed: still running ${timeoutSeconds + KILL_GRACE_MS / 1000} s after it started` : signal ? `ended by ${signal}` : `exit code ${code}`,
        ...(heldOpen ? [`a process it started still held its output open ${OUTPUT_GRACE_MS / 1000} s after it ended`] : []),
      ].join('; ');
      // The file's own TAP, then its stderr and how it ended as comments, so the whole stays TAP.
      const comments = (text: string) => text.trimEnd().split('\n').map((l) => `# ${l}`).join('\n');
      const detail = ok ? '' : `${stdout.trimEnd()}\n${stderr ? `# stderr:\n${comments(stderr)}\n` : ''}# ${ended}`;
      done({ file, ok, counts: countsFrom(summary, ok), seconds, detail });
    });
  });
}

function report(n: number, outcome: FileOutcome): void {
  const { counts } = outcome;
  const tally = `${counts.pass} passed${counts.fail ? `, ${counts.fail} failed` : ''}${counts.skip ? `, ${counts.skip} skipped` : ''}`;
  const line = `${outcome.ok ? 'ok' : 'not ok'} ${n} - ${outcome.file} # time=${Math.round(outcome.seconds * 1000)}ms ${tally}`;
  if (outcome.ok) {
    process.stdout.write(`${line}\n`);
    return;
  }
  const indented = outcome.detail.trimEnd().split('\n').map((l) => `    ${l}`).join('\n');
  process.stdout.write(`# Subtest: ${outcome.file}\n${indented}\n${line}\n`);
}

const testFileCount = (n: number) => `${n} test file${n === 1 ? '' : 's'}`;

async function main(): Promise<number> {
  const tap = settings();
  const { jobs, targets } = parseArgs(process.argv.slice(2), tap);
  const files = await testFiles(tap, targets);
  process.stdout.write(`TAP version 14\n# ${testFileCount(files.length)}, ${Math.min(jobs, files.length)} at a time\n`);
  const began = Date.now();
  const queue = [...files];
  const outcomes: FileOutcome[] = [];
  const worker = async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      const outcome = await runFile(file, tap);
      outcomes.push(outcome);
      report(outcomes.length, outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));

  const sum = (key: keyof Counts) => outcomes.reduce((s, o) => s + o.counts[key], 0);
  const failedFiles = outcomes.filter((o) => !o.ok);
  process.stdout.write(`1..${outcomes.length}\n`);
  if (failedFiles.length) process.stdout.write(`# failed files:\n${failedFiles.map((o) => `#   ${o.file}`).join('\n')}\n`);
  const totals = [`total: ${sum('total')}`, `pass: ${sum('pass')}`, `fail: ${sum('fail')}`, `skip: ${sum('skip')}`, `todo: ${sum('todo')}`]
    .filter((part, i) => i < 3 || !part.endsWith(': 0'));
  process.stdout.write(`# { ${totals.join(', ')} }\n# ${testFileCount(files.length)} in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
  return failedFiles.length ? 1 : 0;
}

for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15]] as const) {
  process.on(signal, () => {
    for (const child of running) child.kill(signal);
    process.exit(128 + number);
  });
}

main().then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
  },
);
