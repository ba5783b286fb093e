/** The lab in a process of its own: none of its emulators outlives it, however it ends. */
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isAlive } from './pids.js';
import { TS_LOADER } from '../helpers/ts-loader.js';

const script = fileURLToPath(new URL('./lab-child.ts', import.meta.url));

async function startLabProcess(t: { teardown(fn: () => unknown): void }) {
  const stateDir = await mkdtemp(join(tmpdir(), 'drsentinel-lab-proc-'));
  const child = spawn(process.execPath, [...TS_LOADER, script, stateDir, 'empty'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    await rm(stateDir, { recursive: true, force: true });
  });
  const firstLine = await new Promise<string | undefined>((resolve) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    lines.once('close', () => resolve(undefined));
  });
  if (!firstLine) throw new Error(`lab process ended before it was ready:\n${stderr}`);
  const { pids } = JSON.parse(firstLine) as { pids: number[] };
  return { child, pids, exited };
}

/** Orphans exit on their own once they see their stdin close; give them a bounded while. */
async function gone(pids: number[]): Promise<number[]> {
  for (let i = 0; i < 100 && pids.some(isAlive); i++) await new Promise((r) => setTimeout(r, 100));
  return pids.filter(isAlive);
}

t.test('SIGTERM stops every emulator before the lab process exits', async (t) => {
  const { child, pids, exited } = await startLabProcess(t);
  t.equal(pids.length, 4);
  t.ok(pids.every(isAlive), 'emulators running');
  child.kill('SIGTERM');
  const { code } = await exited;
  t.equal(code, 0, 'clean exit');
  t.same(pids.filter(isAlive), [], 'no emulator left');
});

t.test('SIGKILL of the lab process leaves no orphan either', async (t) => {
  const { child, pids, exited } = await startLabProcess(t);
  t.ok(pids.every(isAlive), 'emulators running');
  child.kill('SIGKILL');
  await exited;
  t.same(await gone(pids), [], 'no emulator left');
});
