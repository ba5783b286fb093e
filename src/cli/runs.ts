/**
 * `drsentinel activate | rollback | drill | decide`: thin clients of the service's API. The
 * first three start the run, then follow it step by step until it ends (Ctrl-C stops
 * following, not the run). A gate is shown with who must decide and how; `decide` records that
 * decision. Exit 0 when the run succeeded (or the decision was taken), 1 when it failed, was
 * aborted or compensated, or a decision contradicts the one that stands (409), 2 on a usage
 * error or another refusal by the service.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, UsageError } from '../core/errors.js';
import type { RunView } from '../runbooks/engine.js';
import { onTermination } from './shutdown.js';
import { CLIENT_OPTIONS, EXIT, line, type CliIo, type Command, type OptionValues } from './command.js';

const DEFAULT_SERVER = 'http://127.0.0.1:8080';
const POLL_MS = 1000;
const MARK: Record<string, string> = { pass: '✔', fail: '✘', warn: '!', skip: '-' };

interface Client {
  server: string;
  token: string;
}

function clientOf(values: OptionValues, env: NodeJS.ProcessEnv): Client {
  const token = (values.token as string | undefined) ?? env.DRSENTINEL_TOKEN;
  if (!token) throw new UsageError('no token: pass --token T or set DRSENTINEL_TOKEN (a bearer token of the service)');
  return { server: ((values.server as string | undefined) ?? env.DRSENTINEL_SERVER ?? DEFAULT_SERVER).replace(/\/$/, ''), token };
}

async function call<T>(client: Client, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${client.server}${path}`, {
      method,
      headers: { authorization: `Bearer ${client.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new UsageError(`the service at ${client.server} does not answer (${(err as Error).message}): is \`drsentinel serve\` running? (--server URL)`, { showUsage: false });
  }
  const text = await res.text();
  if (!res.ok) {
    const message = (() => {
      try {
        return (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        return text;
      }
    })();
    // A conflict is not a usage mistake: the decision or run was refused because of what already stands.
    if (res.status === 409) throw new ConflictError(`the service refused (409): ${message}`);
    throw new UsageError(`the service refused (${res.status}): ${message}`, { showUsage: false });
  }
  return JSON.parse(text) as T;
}

/** Prints each step once it starts and once it ends, and each gate once it opens or is decided. */
async function follow(client: Client, id: string, io: CliIo): Promise<number> {
  const termination = io.signal ? undefined : onTermination(() => {});
  const stop = io.signal ?? termination!.signal;
  const seen = new Map<string, string>();
  line(io.stdout, `run ${id}: following (Ctrl-C stops following; the run goes on)`);
  try {
    for (;;) {
      const run = await call<RunView>(client, 'GET', `/api/v1/runs/${id}`);
      for (const step of run.steps) {
        const state = step.result ? `done:${step.result.status}` : step.status;
        if (seen.get(step.id) === state || step.status === 'pending') continue;
        seen.set(step.id, state);
        if (step.result) line(io.stdout, `${MARK[step.result.status] ?? '?'} ${step.title} (${(step.result.durationMs / 1000).toFixed(1)} s): ${step.result.reason}`);
        else line(io.stdout, `▶ ${step.title}…`);
      }
      for (const gate of run.gates) {
        const key = `gate:${gate.id}`;
        if (seen.get(key) === gate.status) continue;
        seen.set(key, gate.status);
        if (gate.status === 'pending') {
          line(io.stdout, `⏸ waiting for the ${gate.role}: ${gate.question}`);
          const options = (gate.options ?? ['approve', 'reject']).join('|');
          line(io.stdout, `  decide: drsentinel decide ${id} ${gate.id} ${options} --reason "…" with the ${gate.role}'s token (or POST ${client.server}/api/v1/runs/${id}/approvals)`);
        } else line(io.stdout, `  gate ${gate.id} ${gate.decision && gate.status === 'decided' ? `decided ${gate.decision}` : gate.status} by ${gate.by}: ${gate.reason}`);
      }
      if (['succeeded', 'failed', 'aborted', 'compensated'].includes(run.status)) {
        line(io.stdout, `run ${id} ${run.status}`);
        return run.status === 'succeeded' ? EXIT.ok : EXIT.failed;
      }
      await sleep(POLL_MS, undefined, { signal: stop });
    }
  } catch (err) {
    if (stop.aborted) {
      line(io.stderr, `stopped following run ${id}; it goes on in the service (GET ${client.server}/api/v1/runs/${id})`);
      return EXIT.failed;
    }
    throw err;
  } finally {
    termination?.dispose();
  }
}

function required(values: OptionValues, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

async function startAndFollow(values: OptionValues, io: CliIo, path: string, body: unknown): Promise<number> {
  const client = clientOf(values, io.env);
  const { id } = await call<{ id: string }>(client, 'POST', path, body);
  return follow(client, id, io);
}

export const activateCommand: Command = {
  usage: 'activate --scenario T --reason T [--dry-run] [--server URL] [--token T]',
  summary: 'start the activation of the Azure standby through the API and follow it (token: --token or DRSENTINEL_TOKEN)',
  options: { scenario: { type: 'string' }, reason: { type: 'string' }, 'dry-run': { type: 'boolean' }, ...CLIENT_OPTIONS },
  positionals: [],
  run: ({ values }, io) =>
    startAndFollow(values, io, '/api/v1/activations', { scenario: required(values, 'scenario'), reason: required(values, 'reason'), confirm: true, dryRun: values['dry-run'] === true }),
};

export const rollbackCommand: Command = {
  usage: 'rollback --reason T [--dry-run] [--server URL] [--token T]',
  summary: 'start the return to AWS through the API and follow it (token: --token or DRSENTINEL_TOKEN)',
  options: { reason: { type: 'string' }, 'dry-run': { type: 'boolean' }, ...CLIENT_OPTIONS },
  positionals: [],
  run: ({ values }, io) => startAndFollow(values, io, '/api/v1/rollbacks', { reason: required(values, 'reason'), dryRun: values['dry-run'] === true }),
};

export const drillCommand: Command = {
  usage: 'drill <dry-run|game-day> [--server URL] [--token T]',
  summary: 'run a drill through the API and show its steps live (token: --token or DRSENTINEL_TOKEN)',
  options: { ...CLIENT_OPTIONS },
  positionals: [{ name: 'mode', choices: ['dry-run', 'game-day'] }],
  run: ({ values, words }, io) => startAndFollow(values, io, '/api/v1/drills', { mode: words.mode }),
};

export const decideCommand: Command = {
  usage: 'decide <run> <gate> <approve|reject|retry|rollback|skip> --reason T [--server URL] [--token T]',
  summary: "decide at the gate a run waits at, through the API: approve or reject; at a failure gate retry, rollback or skip (cto) (the gate's role; token: --token or DRSENTINEL_TOKEN)",
  options: { reason: { type: 'string' }, ...CLIENT_OPTIONS },
  positionals: [{ name: 'run' }, { name: 'gate' }, { name: 'decision', choices: ['approve', 'reject', 'retry', 'rollback', 'skip'] }],
  async run({ values, words }, io) {
    const client = clientOf(values, io.env);
    const [id, gateId] = [words.run!, words.gate!];
    const body = { gate: gateId, decision: words.decision, reason: required(values, 'reason') };
    const { replayed, run } = await call<{ replayed: boolean; run: RunView }>(client, 'POST', `/api/v1/runs/${encodeURIComponent(id)}/approvals`, body);
    const gate = run.gates.find((g) => g.id === gateId);
    const decided = gate ? `gate ${gate.id} ${gate.status === 'decided' ? `decided ${gate.decision}` : gate.status} by ${gate.by}: ${gate.reason}` : `gate ${gateId} decided`;
    line(io.stdout, replayed ? `${decided} — decided before, the same way` : decided);
    line(io.stdout, `run ${run.id} is ${run.status}; follow it: GET ${client.server}/api/v1/runs/${run.id}`);
    // The service answers a contradicting decision with 409 (exit 1): what is here was taken.
    return EXIT.ok;
  },
};
