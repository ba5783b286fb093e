import t from 'tap';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import type { Result } from '../../src/core/result.js';
import { tempStore } from './temp-store.js';

const steps = [
  { stepId: 'announce', title: 'Announce the activation' },
  { stepId: 'block-uploads', title: 'Block new uploads' },
  { stepId: 'dns', title: 'Point DNS at Azure' },
];

t.test('a run is created with its steps pending, in order', async (t) => {
  const { store, clock } = tempStore(t);
  const id = randomUUID();
  const run = store.runs.create({ id, runbook: 'activation', dryRun: true, params: { scenario: 'region down' }, startedBy: 'alice' }, steps);
  t.same(run, { id, runbook: 'activation', status: 'running', dryRun: true, params: { scenario: 'region down' }, startedBy: 'alice', startedAt: clock.now().toISOString() });
  t.same(store.runs.steps(id).map((s) => [s.position, s.stepId, s.status]), [
    [0, 'announce', 'pending'],
    [1, 'block-uploads', 'pending'],
    [2, 'dns', 'pending'],
  ]);
  t.same(store.runs.list(10).map((r) => r.id), [id]);
  t.equal(store.runs.get('nope'), undefined);
});

t.test('step updates persist, and survive reopening the file', async (t) => {
  const { store, file } = tempStore(t);
  const id = randomUUID();
  store.runs.create({ id, runbook: 'rollback', dryRun: false, params: {}, startedBy: 'bob' }, steps);
  const result: Result = { status: 'pass', reason: 'announced', evidence: { to: ['ops'] }, measurements: {}, startedAt: '2026-03-02T03:00:00.000Z', durationMs: 12 };
  store.runs.updateStep(id, 'announce', { status: 'running', startedAt: '2026-03-02T03:00:00.000Z' });
  store.runs.updateStep(id, 'announce', { actDoneAt: '2026-03-02T03:00:01.000Z' });
  store.runs.updateStep(id, 'announce', { status: 'succeeded', finishedAt: '2026-03-02T03:00:02.000Z', result });
  store.runs.updateStep(id, 'block-uploads', {});
  t.throws(() => store.runs.updateStep(id, 'no-such-step', { status: 'running' }), { name: 'NotFoundError' });
  const reopened = openStore(file);
  t.teardown(() => reopened.close());
  t.same(reopened.runs.steps(id)[0], {
    runId: id,
    stepId: 'announce',
    position: 0,
    title: 'Announce the activation',
    status: 'succeeded',
    startedAt: '2026-03-02T03:00:00.000Z',
    finishedAt: '2026-03-02T03:00:02.000Z',
    actDoneAt: '2026-03-02T03:00:01.000Z',
    result,
  });
  t.equal(reopened.runs.steps(id)[1]?.status, 'pending');
});

t.test('status changes set the finish time only when the run ends', async (t) => {
  const { store, clock } = tempStore(t);
  const id = randomUUID();
  store.runs.create({ id, runbook: 'activation', dryRun: false, params: {}, startedBy: 'alice' }, steps);
  store.runs.setStatus(id, 'awaiting-approval');
  t.equal(store.runs.get(id)?.finishedAt, undefined);
  clock.advance(5_000);
  store.runs.setStatus(id, 'aborted');
  t.match(store.runs.get(id), { status: 'aborted', finishedAt: clock.now().toISOString() });
  t.throws(() => store.runs.setStatus('nope', 'failed'), { name: 'NotFoundError' });
});

t.test('a gate takes one decision: a replayed or conflicting approval has no effect', async (t) => {
  const { store } = tempStore(t);
  const id = randomUUID();
  store.runs.create({ id, runbook: 'activation', dryRun: false, params: {}, startedBy: 'alice' }, steps);
  const approval = { runId: id, gate: 'integrity', role: 'cto', decision: 'approve' as const, by: 'carol', reason: 'accept 1% loss', at: '2026-03-02T03:10:00.000Z' };
  t.equal(store.runs.addApproval(approval), true);
  t.equal(store.runs.addApproval(approval), false, 'replay');
  t.equal(store.runs.addApproval({ ...approval, decision: 'reject', by: 'mallory' }), false, 'a later contrary decision');
  t.equal(store.runs.addApproval({ ...approval, gate: 'ic-checkpoint', role: 'tech-lead', by: 'alice' }), true, 'another gate');
  t.same(store.runs.approvals(id).map((a) => [a.gate, a.decision, a.by]), [
    ['integrity', 'approve', 'carol'],
    ['ic-checkpoint', 'approve', 'alice'],
  ]);
  t.same(store.runs.approvals(id)[0], approval);
  t.throws(() => store.runs.addApproval({ ...approval, runId: 'no-run' }), { name: 'NotFoundError' });
});

t.test('a create that fails leaves nothing behind', async (t) => {
  const file = join(t.testdir(), 's.sqlite');
  const store = openStore(file);
  t.teardown(() => store.close());
  t.throws(() => store.runs.create({ id: 'dup', runbook: 'x', dryRun: false, params: {}, startedBy: 'a' }, [steps[0]!, steps[0]!]), /UNIQUE/);
  t.equal(store.runs.get('dup'), undefined);
});
