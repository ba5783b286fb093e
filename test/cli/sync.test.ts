/**
 * `drsentinel sync` on the lab twin, as a person at a terminal sees it and as a log file
 * records it.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { main } from '../../src/cli.js';
import { withLab } from '../helpers/lab.js';

const ERASE = /\r(?:\x1b\[\d+A)?\x1b\[J/g;

async function sync(configFile: string, stderrShape: { isTTY?: boolean; columns?: number }, signal?: AbortSignal) {
  let stdout = '';
  let stderr = '';
  const code = await main(['sync', 'all', '--config', configFile], {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { ...stderrShape, write: (s: string) => (stderr += s) },
    env: process.env,
    ...(signal ? { signal } : {}),
  });
  return { code, stdout, stderr };
}

// The first two runs read the same lab: the second finds everything in step, and draws the same lines.
const lab = await withLab(t);

t.test('on a terminal: a status line per flow that never wraps, log lines above it, nothing left behind', async (t) => {
  const { code, stdout, stderr } = await sync(lab.configFile, { isTTY: true, columns: 50 });
  t.equal(code, 0, stderr);
  for (const flow of ['site', 'uploads', 'metadata']) t.match(stdout, new RegExp(`^${flow}: succeeded in `, 'm'));
  const screenLines = stderr.replace(ERASE, '\n').split('\n');
  t.same(screenLines.filter((l) => [...l].length > 49), [], 'every line fits in 49 columns');
  t.match(stderr, /(?:^|\n|\x1b\[J)site {6}\S/, 'a status line was drawn, names aligned');
  t.match(stderr, /\x1b\[Jsync site \(forward\) succeeded\n/, 'a log line erases the board before it is written');
  t.ok(stderr.endsWith('\x1b[J'), 'the board is erased at the end');
});

t.test('without a terminal: no escape codes, only whole lines', async (t) => {
  const { code, stderr } = await sync(lab.configFile, {});
  t.equal(code, 0, stderr);
  t.notMatch(stderr, /\x1b|\r/);
  t.match(stderr, /^sync site \(forward\) started$/m);
});

t.test('stopped by a signal: the runs end interrupted, saying why and what the next run does', async (t) => {
  // A lab of its own, so that the uploads are still to be copied when the stop comes.
  const lab = await withLab(t);
  lab.faults.set('blob', { latencyMs: 300 });
  const stop = new AbortController();
  setTimeout(() => stop.abort('SIGINT'), 1000);
  const { code, stdout } = await sync(lab.configFile, {}, stop.signal);
  t.equal(code, 1);
  t.match(stdout, /^uploads: interrupted in [\d.]+ s — stopped before the end \(stopped by SIGINT\); the next run converges$/m);
  t.notMatch(stdout, /Request aborted|abort signal callback/, 'no SDK wording for a stop asked for');
});

t.test('the built bin, sent SIGINT mid-sync: says the runs were interrupted and gives the prompt back', async (t) => {
  const lab = await withLab(t);
  lab.faults.set('blob', { latencyMs: 300 });
  const bin = resolve(import.meta.dirname, '../../dist/src/cli.js');
  const child = spawn(process.execPath, [bin, 'sync', 'all', '--config', lab.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = once(child, 'exit');
  // Once the uploads run has begun (stderr says so), and has a request or two in flight.
  await new Promise<void>((started) => {
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (/sync uploads \(forward\) started/.test(stderr)) started();
    });
  });
  await new Promise((r) => setTimeout(r, 1000));
  child.kill('SIGINT');
  const signalled = Date.now();
  const [code] = await exited;
  const seconds = (Date.now() - signalled) / 1000;
  t.equal(code, 1);
  t.match(stdout, /^uploads: interrupted in [\d.]+ s — stopped before the end \(stopped by SIGINT\)/m);
  // The requests the stop abandoned keep the SDKs' timers for up to the request timeout (60 s
  // here); the command does not wait for them once it has answered.
  t.ok(seconds < 20, `exited ${seconds.toFixed(1)} s after the signal`);
});
