/**
 * A game day aborted with undo after the DNS cutover, against the whole twin through the real
 * service: DNS goes back to AWS without a moment in which a name has no record. Who may start
 * a game day at all.
 */
import t from 'tap';
import { withLab } from '../helpers/lab.js';
import { controlFor } from '../contract/lab-adapters.js';
import { AWS, AZURE, gameDays, NAMES, type Run } from '../helpers/game-day.js';
import { startService } from '../helpers/service.js';

const lab = await withLab(t);
const control = controlFor(t, lab);
const service = await startService(t, lab);
const { resolvers, until, stepDone, resolvedEverywhere, settledAnswers, gameDayToCutover, syncAll } = gameDays(lab, service);

t.test('the syncs have run once, as they do every day', (t) => syncAll(t));

t.test('an sre may not start a game day: it fails production over for real', async (t) => {
  const refused = await service.call('POST', '/api/v1/drills', 'sre', { mode: 'game-day' });
  t.equal(refused.status, 403);
  t.match(refused.body.message, /a game-day drill fails production over for real: it needs the tech-lead or cto role/);
});

t.test('an abort with undo after the cutover: DNS back at AWS, and never a moment without a record', async (t) => {
  const id = await gameDayToCutover(t);
  await until(id, stepDone('dns-cutover'));
  t.same(await resolvedEverywhere(), [AZURE], 'the names point at Azure');
  const gaps: string[] = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      await Promise.all(NAMES.flatMap((n) => resolvers.map(async (r) => {
        const answer = await r.resolve(n, 'A');
        if (answer.answers.length === 0) gaps.push(`${n} at ${r.name}: ${answer.rcode}`);
      })));
      const authority = await Promise.all(['www', 'api'].map((n) => control.dnsZone().get(n, 'A')));
      authority.forEach((set, i) => void (set?.values.length ? undefined : gaps.push(`${['www', 'api'][i]} has no record in the zone`)));
    }
  })();
  const aborted = await service.call('POST', `/api/v1/runs/${id}/abort`, 'tech-lead', { reason: 'drill: abort after the cutover', undo: true });
  t.equal(aborted.status, 200, JSON.stringify(aborted.body).slice(0, 300));
  const back = await settledAnswers(AWS);
  polling = false;
  await poll;
  t.same(back, [AWS], 'DNS is back at AWS on every resolver');
  t.same(gaps, [], 'no name was ever without a record, in the zone or at a resolver');
  const run = (await service.call('GET', `/api/v1/runs/${id}`, 'viewer')).body as Run;
  t.equal(run.status, 'aborted');
  t.equal(run.steps.find((s) => s.id === 'dns-cutover')?.undo?.status, 'pass');
});
