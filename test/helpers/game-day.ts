/**
 * Driving game days through the real service on a lab, as the people in the war room would:
 * start one, decide at its gates, follow its steps, and read what the public resolvers answer.
 */
import type { Test } from 'tap';
import type { ContainerClient } from '@azure/storage-blob';
import { UdpResolver } from '../../src/adapters/dns/resolver.js';
import type { Lab } from '../../lab/index.js';
import type { ServiceClient } from './service.js';

export const NAMES = ['www.drsentinel.test', 'api.drsentinel.test'];
/** AWS's load balancer and Azure's gateway in the lab. */
export const AWS = '127.0.0.90';
export const AZURE = '127.0.0.80';

export type Run = {
  status: string;
  steps: Array<{ id: string; status: string; result?: { reason: string }; undo?: { status: string; reason: string } }>;
  gates: Array<{ id: string; status: string; kind?: string; options?: string[] }>;
};

const ENDED = ['failed', 'aborted', 'compensated', 'succeeded'];

export function gameDays(lab: Lab, service: ServiceClient) {
  const resolvers = lab.endpoints.dns.resolvers.map((r) => new UdpResolver(r));
  const until = (id: string, done: (run: Run) => boolean) => service.until(`/api/v1/runs/${id}`, done, 240_000) as Promise<Run>;
  const stepDone = (step: string) => (run: Run) => run.steps.some((s) => s.id === step && s.status === 'succeeded') || ENDED.includes(run.status);
  const gateOpen = (gate: string) => (run: Run) => run.gates.some((g) => g.id === gate && g.status === 'pending') || ENDED.includes(run.status);

  /** Every distinct answer of every resolver for the production names. */
  async function resolvedEverywhere(): Promise<string[]> {
    const answers = await Promise.all(NAMES.flatMap((n) => resolvers.map(async (r) => (await r.resolve(n, 'A')).answers.join(','))));
    return [...new Set(answers)];
  }

  /** What the resolvers answer once their caches have let the old answer go (a minute at most in the lab). */
  async function settledAnswers(want: string): Promise<string[]> {
    for (let i = 0; i < 120; i++) {
      const seen = await resolvedEverywhere();
      if (seen.length === 1 && seen[0] === want) return seen;
      await new Promise((r) => setTimeout(r, 500));
    }
    return resolvedEverywhere();
  }

  async function decide(t: Test, id: string, gate: string, decision: string, role: 'tech-lead' | 'cto') {
    const answer = await service.call('POST', `/api/v1/runs/${id}/approvals`, role, { gate, decision, reason: `drill: ${decision} at ${gate}` });
    t.equal(answer.status, 200, `${decision} at ${gate} by the ${role}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  }

  /** Starts a game day and takes it past its first gates, on its way to the DNS cutover. */
  async function gameDayToCutover(t: Test): Promise<string> {
    const started = await service.call('POST', '/api/v1/drills', 'tech-lead', { mode: 'game-day' });
    t.equal(started.status, 202, JSON.stringify(started.body));
    const id = started.body.id as string;
    await until(id, gateOpen('incident-commander'));
    await decide(t, id, 'incident-commander', 'approve', 'tech-lead');
    await until(id, gateOpen('integrity'));
    await decide(t, id, 'integrity', 'approve', 'tech-lead');
    return id;
  }

  /** The daily syncs, once, so that the RPO guard lets a game day start. */
  async function syncAll(t: Test) {
    const started = await service.call('POST', '/api/v1/syncs/all/run', 'operator', {});
    for (const id of started.body.ids as string[]) t.equal((await service.until(`/api/v1/syncs/${id}`, (r) => r.status !== 'running')).status, 'succeeded');
  }


  /**
   * The page the smoke tests ask for disappears from $web. Called once the integrity is decided:
   * the final sync is behind the run, and no step before the smoke tests reads the page, so the
   * failure lands on the smoke tests whatever the pace of the steps between.
   */
  async function breakTheSiteAfterCutover(t: Test, id: string, web: ContainerClient): Promise<Buffer> {
    const page = await web.getBlockBlobClient('index.html').downloadToBuffer();
    await web.getBlockBlobClient('index.html').delete();
    const run = await until(id, gateOpen('recover-smoke-tests'));
    t.equal(run.status, 'awaiting-approval', 'the run waits for a person');
    const gate = run.gates.find((g) => g.id === 'recover-smoke-tests');
    t.same([gate?.kind, gate?.options], ['failure', ['retry', 'rollback', 'skip']]);
    t.equal(run.steps.find((s) => s.id === 'dns-cutover')?.status, 'succeeded', 'it failed after the cutover');
    return page;
  }

  return { breakTheSiteAfterCutover, resolvers, until, stepDone, gateOpen, resolvedEverywhere, settledAnswers, decide, gameDayToCutover, syncAll };
}
