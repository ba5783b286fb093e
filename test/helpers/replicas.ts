/**
 * Replicas of the service, each in a process of its own (so a test can SIGKILL or SIGSTOP one),
 * all on one PostgreSQL store and one lab; with a client for each one's API.
 */
import type { Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Lab } from '../../lab/index.js';
import type { Role } from './service.js';

const script = fileURLToPath(new URL('../runbooks/serve-child.ts', import.meta.url));
const loader = process.execArgv.filter((arg) => arg.includes('@tapjs/typescript'));

export interface Replica {
  name: string;
  url: string;
  child: ChildProcess;
  /** What it logged (warn and above). */
  log(): string;
  call(method: string, path: string, role?: Role, body?: unknown): Promise<{ status: number; body: any }>;
  health(): Promise<{ status: string; role: string; store: string }>;
}

export function replicas(t: Test, lab: Lab, storeUrl: string, env: NodeJS.ProcessEnv = {}) {
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  });

  async function start(name: string): Promise<Replica> {
    const child = spawn(process.execPath, [...loader, script, lab.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DRSENTINEL_STORE_URL: storeUrl,
        DRSENTINEL__STORE__POSTGRES__URL: '{"env":"DRSENTINEL_STORE_URL"}',
        DRSENTINEL__SERVICE__LOG_LEVEL: 'warn',
        ...env,
      },
    });
    children.push(child);
    let logged = '';
    child.stderr!.on('data', (chunk: Buffer) => (logged += chunk.toString()));
    const lines = createInterface({ input: child.stdout! });
    let url: string | undefined;
    for await (const line of lines) {
      url = (JSON.parse(line) as { url: string }).url;
      break;
    }
    if (!url) throw new Error(`replica ${name} did not start: ${logged}`);
    const call: Replica['call'] = async (method, path, role, body) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...(role ? { authorization: `Bearer ${lab.endpoints.tokens[role]}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    return { name, url, child, log: () => logged, call, health: async () => (await call('GET', '/health')).body };
  }

  /** Polls until `done` holds of `replica`'s answer to GET `path`; fails after `timeoutMs`. */
  async function until(replica: Replica, path: string, done: (body: any) => boolean, timeoutMs = 240_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await replica.call('GET', path, 'viewer');
      if (done(body)) return body;
      if (Date.now() > deadline) throw new Error(`gave up waiting on ${path} at ${replica.name}: ${JSON.stringify(body).slice(0, 2000)}`);
      await sleep(200);
    }
  }

  /** The leader among `all`, once exactly one says it leads. */
  async function leaderOf(all: Replica[], timeoutMs = 60_000): Promise<Replica> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const roles = await Promise.all(all.map(async (r) => (await r.health().catch(() => ({ role: 'down' }))).role));
      const leaders = all.filter((_, i) => roles[i] === 'leader');
      if (leaders.length === 1) return leaders[0]!;
      if (Date.now() > deadline) throw new Error(`no single leader: ${all.map((r, i) => `${r.name} ${roles[i]}`).join(', ')}`);
      await sleep(200);
    }
  }

  return { start, until, leaderOf };
}
