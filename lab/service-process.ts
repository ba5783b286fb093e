/**
 * `drsentinel serve` in a process of its own (so that it can be SIGKILLed or SIGSTOPped), and a
 * small client for its API with the lab's demo tokens: for the replica tests and the bench.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Lab } from './index.js';

export type DemoRole = keyof Lab['endpoints']['tokens'];

export interface ServiceProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** What it logged so far (stdout and stderr). */
  log(): string;
  call(method: string, path: string, role?: DemoRole, body?: unknown): Promise<{ status: number; body: any }>;
  health(): Promise<{ status: string; role: string; store: string }>;
}

/**
 * Starts `argv` (a node script that serves, e.g. `dist/src/cli.js serve --config FILE`) and
 * resolves once it prints where it listens: a JSON line `{ "url" }`, or the service's own
 * "drsentinel listening on URL" line.
 */
export async function startServiceProcess(lab: Lab, name: string, argv: string[], env: NodeJS.ProcessEnv): Promise<ServiceProcess> {
  const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let logged = '';
  const listening = new Promise<string | undefined>((resolve) => {
    const watch = (stream: NodeJS.ReadableStream) =>
      createInterface({ input: stream })
        .on('line', (line) => {
          logged += `${line}\n`;
          const said = /^drsentinel listening on (\S+)/.exec(line)?.[1];
          if (said) return resolve(said);
          if (!line.startsWith('{')) return;
          const parsed = JSON.parse(line) as { url?: string; level?: number };
          if (parsed.url && parsed.level === undefined) resolve(parsed.url);
        })
        .on('close', () => resolve(undefined));
    watch(child.stdout!);
    watch(child.stderr!);
  });
  const url = await listening;
  if (!url) throw new Error(`${name} did not start: ${logged.slice(-3000)}`);
  const call: ServiceProcess['call'] = async (method, path, role, body) => {
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

/** Polls GET `path` on `service` until `done` holds; throws after `timeoutMs`. */
export async function untilAnswer(service: ServiceProcess, path: string, done: (body: any) => boolean, timeoutMs = 240_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await service.call('GET', path, 'viewer');
    if (done(body)) return body;
    if (Date.now() > deadline) throw new Error(`gave up waiting on ${path} at ${service.name}: ${JSON.stringify(body).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The one leader among `all`, once exactly one says it leads. */
export async function leaderOf(all: ServiceProcess[], timeoutMs = 60_000): Promise<ServiceProcess> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const roles = await Promise.all(all.map(async (r) => (await r.health().catch(() => ({ role: 'down' }))).role));
    const leaders = all.filter((_, i) => roles[i] === 'leader');
    if (leaders.length === 1) return leaders[0]!;
    if (Date.now() > deadline) throw new Error(`no single leader: ${all.map((r, i) => `${r.name} ${roles[i]}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A game day through the API, each gate approved as soon as it opens: resolves with the run once it ended. */
export async function gameDayApproved(service: () => ServiceProcess, reason: string): Promise<any> {
  const started = await service().call('POST', '/api/v1/drills', 'tech-lead', { mode: 'game-day' });
  if (started.status !== 202) throw new Error(`the game day did not start: ${JSON.stringify(started.body)}`);
  const id = started.body.id as string;
  for (;;) {
    const run = await untilAnswer(service(), `/api/v1/runs/${id}`, (r) => r.status !== 'running');
    const gate = run.gates.find((g: any) => g.status === 'pending');
    if (run.status !== 'awaiting-approval' || !gate || gate.kind === 'failure') return run;
    await service().call('POST', `/api/v1/runs/${id}/approvals`, gate.role, { gate: gate.id, decision: 'approve', reason });
  }
}
