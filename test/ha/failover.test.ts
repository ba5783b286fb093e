/**
 * Two replicas on one PostgreSQL store. One leads; the other follows, serves reads and takes
 * decisions. A game day is started and decided through the follower, and the leader is killed
 * (SIGKILL) during the DNS TTL wait: the follower takes the lease within leaseSeconds, finishes
 * the drill, and every act was done exactly once.
 */
import t from 'tap';
import { once } from 'node:events';
import { withLab } from '../helpers/lab.js';
import { freshDatabase, postgresMissing } from '../helpers/postgres.js';
import { replicas } from '../helpers/replicas.js';

const LEASE_SECONDS = 15;
const RENEW_SECONDS = LEASE_SECONDS / 5;

t.test('a leader killed during a drill: the follower takes over and the drill succeeds', { skip: postgresMissing }, async (t) => {
  const lab = await withLab(t);
  const { start, until, leaderOf } = replicas(t, lab, await freshDatabase(t));
  const [a, b] = [await start('a'), await start('b')];
  const leader = await leaderOf([a, b]);
  const follower = leader === a ? b : a;
  t.match(await follower.health(), { status: 'ok', role: 'follower', store: 'postgres' }, 'the other one follows');
  t.match(await leader.health(), { role: 'leader', store: 'postgres' });
  t.match(await (await fetch(`${leader.url}/metrics`)).text(), /^dr_leader 1$/m);
  t.match(await (await fetch(`${follower.url}/metrics`)).text(), /^dr_leader 0$/m);

  const synced = await leader.call('POST', '/api/v1/syncs/all/run', 'operator', {});
  t.equal(synced.status, 202, JSON.stringify(synced.body));
  for (const id of synced.body.ids as string[]) t.equal((await until(follower, `/api/v1/syncs/${id}`, (r) => r.status !== 'running')).status, 'succeeded', 'the follower reads what the leader does');

  const started = await follower.call('POST', '/api/v1/drills', 'tech-lead', { mode: 'game-day' });
  t.equal(started.status, 202, `a drill started on the follower: ${JSON.stringify(started.body).slice(0, 300)}`);
  const id = started.body.id as string;
  const decide = async (gate: string, role: 'tech-lead' | 'cto') => {
    await until(follower, `/api/v1/runs/${id}`, (r) => r.gates.some((g: any) => g.id === gate && g.status === 'pending') || ['failed', 'succeeded'].includes(r.status));
    const answer = await follower.call('POST', `/api/v1/runs/${id}/approvals`, role, { gate, decision: 'approve', reason: `ha drill: ${gate}` });
    t.equal(answer.status, 200, `${gate} decided on the follower: ${JSON.stringify(answer.body).slice(0, 300)}`);
  };
  await decide('incident-commander', 'tech-lead');
  await decide('integrity', 'tech-lead');

  const waiting = await until(leader, `/api/v1/runs/${id}`, (r) => r.steps.some((s: any) => s.id === 'dns-ttl' && s.waitUntil) || r.status !== 'running');
  t.equal(waiting.steps.find((s: any) => s.id === 'dns-ttl').status, 'running', 'the leader acted on decisions taken on the follower, up to the TTL wait');
  const killedAt = Date.now();
  leader.child.kill('SIGKILL');
  await once(leader.child, 'exit');
  await until(follower, '/health', (h) => h.role === 'leader', 60_000);
  const failoverSeconds = (Date.now() - killedAt) / 1000;
  // The issue's bound; the figure itself is measured by `npm run bench` (P4).
  t.ok(failoverSeconds <= LEASE_SECONDS + RENEW_SECONDS, `the follower took the lease ${failoverSeconds.toFixed(1)} s after the kill (lease ${LEASE_SECONDS} s, renewed every ${RENEW_SECONDS} s)`);

  await decide('cto-approval', 'cto');
  const run = await until(follower, `/api/v1/runs/${id}`, (r) => !['running', 'awaiting-approval'].includes(r.status));
  t.equal(run.status, 'succeeded', `the drill ended: ${run.steps.filter((s: any) => s.status !== 'succeeded').map((s: any) => `${s.id} ${s.status}: ${s.result?.reason}`).join('; ')}`);

  const audit = (await follower.call('GET', '/api/v1/audit?limit=1000', 'viewer')).body;
  const acts = audit.rows.filter((r: any) => r.action === 'runbook.act' && r.target === id).map((r: any) => r.details.step as string);
  t.same(acts.filter((step: string, i: number) => acts.indexOf(step) !== i), [], `each act exactly once (${acts.join(', ')})`);
  t.ok(acts.includes('dns-cutover') && acts.includes('block-uploads'), 'the acts before and after the kill are there');
  t.equal(audit.verified.ok, true, 'the audit chain holds across both replicas');
});
