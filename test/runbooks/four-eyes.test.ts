/**
 * Four eyes (activation.fourEyes) through the real service: nobody decides a gate of a run they
 * started, and an RPO override waits for a second CTO. The lab's endpoints.json carries a second
 * tech lead and a second CTO for this.
 */
import t from 'tap';
import { withLab } from '../helpers/lab.js';
import { startService } from '../helpers/service.js';

const lab = await withLab(t);
const service = await startService(t, lab, { DRSENTINEL__ACTIVATION__FOUR_EYES: 'true' });
const gateOpen = (gate: string) => (run: { status: string; gates: Array<{ id: string; status: string }> }) =>
  run.gates.some((g) => g.id === gate && g.status === 'pending') || !['running', 'awaiting-approval'].includes(run.status);

t.test('a cto who started a rollback cannot approve its CTO gate; a second cto can', async (t) => {
  const started = await service.call('POST', '/api/v1/rollbacks', 'cto', { reason: 'four eyes test' });
  t.equal(started.status, 202);
  const id = started.body.id as string;
  await service.until(`/api/v1/runs/${id}`, gateOpen('cto-approval'));
  const own = await service.call('POST', `/api/v1/runs/${id}/approvals`, 'cto', { gate: 'cto-approval', decision: 'approve', reason: 'my own run' });
  t.equal(own.status, 403);
  t.match(own.body.message, /^four eyes \(activation\.fourEyes\): demo-cto started run \S+ and cannot decide its gate "cto-approval"/);
  const second = await service.call('POST', `/api/v1/runs/${id}/approvals`, 'cto-2', { gate: 'cto-approval', decision: 'reject', reason: 'not today: a second pair of eyes says no' });
  t.equal(second.status, 200);
  const run = await service.until(`/api/v1/runs/${id}`, (r) => !['running', 'awaiting-approval'].includes(r.status));
  t.equal(run.status, 'failed', 'rejected by the second CTO, nothing acted');
});

t.test('an RPO override waits at gate rpo-override for a second cto', async (t) => {
  const body = { scenario: 'AWS region down', reason: 'four eyes test', confirm: true, overrideRpo: 'the data is old, and the outage is worse' };
  const started = await service.call('POST', '/api/v1/activations', 'cto', body);
  t.equal(started.status, 202, JSON.stringify(started.body));
  const id = started.body.id as string;
  const waiting = await service.until(`/api/v1/runs/${id}`, gateOpen('rpo-override'));
  t.equal(waiting.status, 'awaiting-approval');
  t.match(waiting.gates[0].question, /has never been synced successfully.*demo-cto asks to activate anyway \(the data is old, and the outage is worse\)/);
  t.same(waiting.steps.filter((s: { status: string }) => s.status === 'succeeded'), [], 'nothing acted before the second CTO');
  t.equal((await service.call('POST', `/api/v1/runs/${id}/approvals`, 'cto', { gate: 'rpo-override', decision: 'approve', reason: 'mine' })).status, 403, 'not the one who asked');
  t.equal((await service.call('POST', `/api/v1/runs/${id}/approvals`, 'tech-lead', { gate: 'rpo-override', decision: 'approve', reason: 'not a cto' })).status, 403, 'not a tech lead');
  const confirmed = await service.call('POST', `/api/v1/runs/${id}/approvals`, 'cto-2', { gate: 'rpo-override', decision: 'approve', reason: 'confirmed: go' });
  t.equal(confirmed.status, 200);
  const next = await service.until(`/api/v1/runs/${id}`, gateOpen('incident-commander'));
  t.equal(next.steps.find((s: { id: string }) => s.id === 'rpo-override').status, 'succeeded');
  const aborted = await service.call('POST', `/api/v1/runs/${id}/abort`, 'tech-lead', { reason: 'test over', undo: true });
  t.equal(aborted.status, 200);
});
