/**
 * Runs one child process and measures what the benchmark compares: wall time from spawn to
 * exit and the child's peak resident set. Both tools are measured the same way — by GNU
 * time's exact `%M` (the kernel's maxrss at exit) when /usr/bin/time exists, otherwise by
 * polling the child's VmHWM (a high-water mark, so a poll can only miss the last interval).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';
const POLL_MS = 20;

/**
 * Process groups of the children still running. Each child leads its own group so that a kill
 * reaches the tool itself, not only GNU time above it; the groups are killed if we exit first.
 */
const running = new Set<number>();
let exitHookInstalled = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** Kills every child still being measured (an interrupted run must leave none behind). */
export function killMeasured(): void {
  running.forEach(killGroup);
  running.clear();
}

function track(pid: number): void {
  running.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => running.forEach(killGroup));
}

export type RssMethod = 'gnu-time' | 'vmhwm-poll';

export interface Measured {
  wallMs: number;
  /** Bytes. */
  peakRss: number;
  rssMethod: RssMethod;
  /** User + system CPU of the child, when GNU time measured it. */
  cpuMs?: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface MeasureOptions {
  env: NodeJS.ProcessEnv;
  /** Killed (and reported as failed) past this. */
  timeoutMs: number;
}

async function vmHwm(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

export async function measure(command: string, args: string[], opts: MeasureOptions): Promise<Measured> {
  const useTime = existsSync(GNU_TIME);
  const scratch = await mkdtemp(join(tmpdir(), 'drsentinel-bench-'));
  const timeFile = join(scratch, 'maxrss');
  const [file, argv] = useTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, command, ...args]] : [command, args];
  const started = process.hrtime.bigint();
  const child = spawn(file, argv, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) track(child.pid);
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));

  let polled = 0;
  const poller = useTime
    ? undefined
    : setInterval(() => {
        if (child.pid !== undefined) void vmHwm(child.pid).then((v) => void (polled = Math.max(polled, v ?? 0)));
      }, POLL_MS);
  const killer = setTimeout(() => child.pid !== undefined && killGroup(child.pid), opts.timeoutMs);
  try {
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    // GNU time's last line is ours; a line before it may say the command was killed.
    const timed = useTime ? (await readFile(timeFile, 'utf8').catch(() => '')).trim().split('\n').pop()?.split(' ').map(Number) : undefined;
    const [maxRssKb, user, system] = timed ?? [];
    return {
      wallMs,
      peakRss: useTime ? (maxRssKb ?? 0) * 1024 : polled,
      rssMethod: useTime ? 'gnu-time' : 'vmhwm-poll',
      ...(user !== undefined && system !== undefined ? { cpuMs: Math.round((user + system) * 1000) } : {}),
      exitCode,
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    };
  } finally {
    clearTimeout(killer);
    if (poller) clearInterval(poller);
    if (child.pid !== undefined) {
      // The group may outlive its leader (a tool's own children): none is left behind.
      killGroup(child.pid);
      running.delete(child.pid);
    }
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Runs one of the bench's own Node scripts, which ends by printing its report as one JSON
 * line; a non-zero exit or no such line is an error naming `what` and the end of stderr.
 */
export async function measureNodeScript<T>(script: string, args: string[], what: string, opts: MeasureOptions): Promise<{ measured: Measured; report: T }> {
  const measured = await measure(process.execPath, [script, ...args], opts);
  const last = measured.stdout.trim().split('\n').pop() ?? '';
  if (measured.exitCode !== 0 || !last.startsWith('{')) {
    throw new Error(`${what} exited ${measured.exitCode}: ${measured.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
  return { measured, report: JSON.parse(last) as T };
}
