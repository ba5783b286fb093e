/**
 * The emulators run as child processes. Each is the package's own JS entry point run by this
 * Node binary (no PATH, no npx), bound to loopback on a free port, and none may outlive the
 * lab: children are tracked, killed synchronously on `exit`, and each child also watches its
 * stdin pipe so that it exits when the lab dies in a way no handler sees (SIGKILL, crash).
 * None of these emulators spawns processes of its own, so killing the child kills the tree.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { freePort } from './ports.js';

export interface EmulatorSpec {
  /** Shown in logs and errors, e.g. `azurite-blob`. */
  name: string;
  /** The npm package and the name of its bin entry. */
  pkg: string;
  bin: string;
  args(port: number): string[];
  /** NODE_OPTIONS of the child; the lab's own (a test runner's loaders, say) are not passed on. */
  nodeOptions?: string;
}

export interface RunningChild {
  name: string;
  pid: number;
  port: number;
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;
// Generous: on a busy 2-core machine several twins may be starting at once (parallel test files).
const READY_TIMEOUT_MS = 90_000;
const KILL_GRACE_MS = 5_000;
const TAIL_BYTES = 4096;

/** Preloaded into every child: end it when the lab's end of its stdin pipe closes. */
const PARENT_WATCH =
  "process.stdin.on('end',()=>process.exit(0));process.stdin.on('error',()=>process.exit(0));" +
  'process.stdin.resume();process.stdin.unref();';

const live = new Map<number, ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of live.keys()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

function entryPoint(pkg: string, bin: string): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = require(manifestPath) as { bin?: string | Record<string, string> };
  const rel = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.[bin];
  if (!rel) throw new Error(`package ${pkg} has no bin "${bin}"`);
  return join(dirname(manifestPath), rel);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}


interface Attempt {
  child: ChildProcess;
  exited: Promise<void>;
  tail(): string;
  exitCode(): number | string | null;
}

function launch(spec: EmulatorSpec, port: number, log?: (line: string) => void): Attempt {
  const args = [`--import=data:text/javascript,${encodeURIComponent(PARENT_WATCH)}`, entryPoint(spec.pkg, spec.bin), ...spec.args(port)];
  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: spec.nodeOptions ?? '' },
  });
  let tail = '';
  let code: number | string | null = null;
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
    log?.(`[${spec.name}] ${chunk.toString('utf8').trimEnd()}`);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (c, signal) => {
      code = c ?? signal;
      if (child.pid) live.delete(child.pid);
      resolve();
    });
    child.once('error', (err) => {
      tail += `\n${err.message}`;
      code = 'spawn error';
      resolve();
    });
  });
  if (child.pid) live.set(child.pid, child);
  return { child, exited, tail: () => tail.trim(), exitCode: () => code };
}

async function stopChild(attempt: Attempt): Promise<void> {
  const { child } = attempt;
  if (attempt.exitCode() !== null || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  await attempt.exited;
  clearTimeout(timer);
}

/**
 * Starts one emulator on `host` and resolves once it accepts connections. A child that exits
 * before answering (most likely another process took the port first) is retried on a new
 * port; one that neither answers nor exits within READY_TIMEOUT_MS is killed and reported.
 */
export async function startEmulator(spec: EmulatorSpec, host: string, log?: (line: string) => void): Promise<RunningChild> {
  installExitHook();
  let lastError = '';
  for (let i = 0; i < START_ATTEMPTS; i++) {
    const port = await freePort(host);
    const attempt = launch(spec, port, log);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let ready = false;
    while (!ready && attempt.exitCode() === null && Date.now() < deadline) {
      ready = await canConnect(host, port);
      if (!ready) await sleep(50);
    }
    if (ready && attempt.exitCode() === null && attempt.child.pid) {
      return { name: spec.name, pid: attempt.child.pid, port, stop: () => stopChild(attempt) };
    }
    if (attempt.exitCode() === null) {
      await stopChild(attempt);
      throw new Error(`${spec.name} did not answer on ${host}:${port} within ${READY_TIMEOUT_MS / 1000} s; output tail:\n${attempt.tail()}`);
    }
    lastError = `${spec.name} exited (${attempt.exitCode()}) before answering on ${host}:${port}; output tail:\n${attempt.tail()}`;
  }
  throw new Error(lastError);
}
