/**
 * A leader paused (SIGSTOP) until its lease runs out, as a long GC pause or a partition would:
 * the follower takes over and carries the drill on; woken (SIGCONT), the old leader finds its
 * lease gone, writes nothing (fencing), steps down, and no act is done twice.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { withLab } from '../helpers/lab.js';
import { freshDatabase, postgresMissing } from '../helpers/postgres.js';
import { replicas } from '../helpers/replicas.js';

const LEASE_SECONDS = 6;

t.test('a paused leader wakes to find its lease gone: it steps down without acting', { skip: postgresMissing }, async (t) => {
  const lab = await withLab(t);
  const { start, until, leaderOf } = replicas(t, lab, await freshDatabase(t), { DRSENTINEL__STORE__LEASE_SECONDS: String(LEASE_SECONDS) });
  const all = [await start('a'), await start('b')];
  const paused = await leaderOf(all);
  const other = all.find((r) => r !== paused)!;

  const synced = await paused.call('POST', '/api/v1/syncs/all/run', 'operator', {});
  for (const id of synced.body.ids as string[]) t.equal((await until(other, `/api/v1/syncs/${id}`, (r) => r.status !== 'running')).status, 'succeeded');
  const id = (await other.call('POST', '/api/v1/drills', 'tech-lead', { mode: 'game-day' })).body.id as string;
  const decide = async (gate: string, role: 'tech-lead' | 'cto') => {
    await until(other, `/api/v1/runs/${id}`, (r) => r.gates.some((g: any) => g.id === gate && g.status === 'pending') || ['failed', 'succeeded'].includes(r.status));
    t.equal((await other.call('POST', `/api/v1/runs/${id}/approvals`, role, { gate, decision: 'approve', reason: `pause drill: ${gate}` })).status, 200, `${gate} approved`);
  };
  await decide('incident-commander', 'tech-lead');
  await decide('integrity', 'tech-lead');
  await until(other, `/api/v1/runs/${id}`, (r) => r.steps.some((s: any) => s.id === 'dns-ttl' && s.waitUntil) || r.status !== 'running');

  paused.child.kill('SIGSTOP');
  await until(other, '/health', (h) => h.role === 'leader', 60_000);
  t.pass(`${other.name} leads while ${paused.name} is stopped`);
  // The new leader carries the run on past the step the paused one was in.
  await until(other, `/api/v1/runs/${id}`, (r) => r.steps.some((s: any) => s.id === 'dns-cutover' && s.status === 'succeeded') || r.status !== 'running');
  paused.child.kill('SIGCONT');
  await until(paused, '/health', (h) => h.role === 'follower', 30_000);
  t.pass(`${paused.name}, woken, follows`);
  await sleep(2_000);
  t.match(paused.log(), /lost the lease of epoch \d+|does not lead|found its lease gone/, 'it learned it no longer leads from the store, not from its own clock');

  await decide('cto-approval', 'cto');
  const run = await until(other, `/api/v1/runs/${id}`, (r) => !['running', 'awaiting-approval'].includes(r.status));
  t.equal(run.status, 'succeeded', run.steps.filter((s: any) => s.status !== 'succeeded').map((s: any) => `${s.id}: ${s.result?.reason}`).join('; '));
  const audit = (await other.call('GET', '/api/v1/audit?limit=1000', 'viewer')).body;
  const acts = audit.rows.filter((r: any) => r.action === 'runbook.act' && r.target === id).map((r: any) => r.details.step as string);
  t.same(acts.filter((step: string, i: number) => acts.indexOf(step) !== i), [], `each act exactly once (${acts.join(', ')})`);
  t.equal((await paused.health()).role, 'follower', 'and it still follows');
});
