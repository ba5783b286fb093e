import t from 'tap';
import { systemClock } from '../../src/core/clock.js';
import { fail, pass } from '../../src/core/result.js';
import type { Runbook, Step } from '../../src/core/runbook.js';
import { RunbookEngine } from '../../src/runbooks/engine.js';
import { openStore } from '../../src/store/index.js';
import { tempStore } from '../store/temp-store.js';
import type { Store } from '../../src/store/types.js';

const quiet = () => {};
const engineOn = (store: Store, stepTimeoutMs = 5_000) => new RunbookEngine({ store, clock: systemClock, log: quiet, stepTimeoutMs });

/** A world of named switches the steps turn on, with a count of every act and undo. */
function world() {
  const on = new Set<string>();
  const acts: string[] = [];
  const undos: string[] = [];
  const step = (id: string, extra: Partial<Step> = {}): Step => ({
    id,
    title: `turn ${id} on`,
    role: 'sre',
    async act() {
      acts.push(id);
      on.add(id);
    },
    async verify() {
      return on.has(id) ? pass(`${id} is on`) : fail(`${id} is off`);
    },
    async undo() {
      undos.push(id);
      on.delete(id);
    },
    ...extra,
  });
  return { on, acts, undos, step };
}

const ratioGate: Step['gate'] = (ctx) => {
  const ratio = ctx.results.get('measure')?.measurements.ratio ?? 0;
  return ratio >= 0.95
    ? { id: 'proceed', role: 'tech-lead', question: `integrity ${ratio}: proceed?` }
    : { id: 'accept-loss', role: 'cto', question: `integrity ${ratio} is below 95 %: accept the loss?` };
};

function gatedRunbook(w: ReturnType<typeof world>, ratio: number): Runbook {
  return {
    name: 'gated',
    title: 'gated',
    steps: [
      { id: 'measure', title: 'measure', role: 'sre', verify: async () => pass('measured', {}, { ratio }) },
      w.step('cutover', { gate: ratioGate }),
    ],
  };
}

t.test('steps run in order, each act once, and the run succeeds', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register({ name: 'plain', title: 'plain', steps: [w.step('a'), w.step('b'), w.step('c')] });
  const started = engine.start('plain', { params: { reason: 'test' }, dryRun: false, by: 'demo-sre' });
  const view = await engine.settled(started.id);
  t.equal(view.status, 'succeeded');
  t.same(w.acts, ['a', 'b', 'c']);
  t.same(view.steps.map((s) => s.status), ['succeeded', 'succeeded', 'succeeded']);
  t.ok(store.audit.list({ limit: 50 }).some((r) => r.action === 'runbook.act' && r.details.step === 'b'), 'each act is audited');
});

t.test('a failing verify fails the run and stops there', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register({ name: 'broken', title: 'broken', steps: [w.step('a', { act: async () => {} }), w.step('b')] });
  const view = await engine.settled(engine.start('broken', { params: {}, dryRun: false, by: 'x' }).id);
  t.equal(view.status, 'failed');
  t.equal(view.steps[0]!.result?.reason, 'a is off');
  t.equal(view.steps[1]!.status, 'pending');
});

t.test('a gate waits for its role; wrong role 403, replay changes nothing, approval resumes', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register(gatedRunbook(w, 0.97));
  const id = engine.start('gated', { params: {}, dryRun: false, by: 'lead' }).id;
  let view = await engine.settled(id);
  t.equal(view.status, 'awaiting-approval');
  t.same(view.gates.map((g) => [g.id, g.role, g.status]), [['proceed', 'tech-lead', 'pending']]);
  t.same(w.acts, [], 'the gated act has not run');

  t.throws(() => engine.decide(id, { gate: 'proceed', decision: 'approve', reason: 'go', by: { name: 'viewer', roles: ['viewer'] } }), { name: 'ForbiddenError' });
  t.throws(() => engine.decide(id, { gate: 'nope', decision: 'approve', reason: 'go', by: { name: 'l', roles: ['tech-lead'] } }), { name: 'NotFoundError' });
  const first = engine.decide(id, { gate: 'proceed', decision: 'approve', reason: 'integrity is fine', by: { name: 'lead', roles: ['tech-lead'] } });
  t.equal(first.replayed, false);
  view = await engine.settled(id);
  t.equal(view.status, 'succeeded');
  const replay = engine.decide(id, { gate: 'proceed', decision: 'reject', reason: 'changed my mind', by: { name: 'lead', roles: ['tech-lead'] } });
  t.equal(replay.replayed, true);
  t.equal(engine.view(id).gates[0]!.status, 'approved', 'the first decision stands');
  t.same(w.acts, ['cutover']);
});

t.test('below 95 % the gate is the CTO\'s, and a rejection fails the run without acting', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register(gatedRunbook(w, 0.8));
  const id = engine.start('gated', { params: {}, dryRun: false, by: 'lead' }).id;
  await engine.settled(id);
  t.throws(() => engine.decide(id, { gate: 'accept-loss', decision: 'approve', reason: 'ok', by: { name: 'lead', roles: ['tech-lead'] } }), { name: 'ForbiddenError' });
  engine.decide(id, { gate: 'accept-loss', decision: 'reject', reason: 'retry the sync first', by: { name: 'cto', roles: ['cto'] } });
  const view = await engine.settled(id);
  t.equal(view.status, 'failed');
  t.match(view.steps[1]!.result?.reason, /rejected by cto at gate "accept-loss": retry the sync first/);
  t.same(w.acts, []);
});

t.test('a dry-run acts on nothing, reports what it would do, and does not wait at gates', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register(gatedRunbook(w, 0.97));
  const view = await engine.settled(engine.start('gated', { params: {}, dryRun: true, by: 'x' }).id);
  t.equal(view.status, 'succeeded');
  t.same(w.acts, []);
  t.equal(view.steps[1]!.result?.status, 'warn');
  t.match(view.steps[1]!.result?.reason, /dry-run: the act would be needed — cutover is off \(would wait for the tech-lead/);
  t.same(view.gates, [], 'it opens no gate, so none is shown waiting for anyone');
  t.throws(() => engine.decide(view.id, { gate: 'proceed', decision: 'approve', reason: 'ok', by: { name: 'lead', roles: ['tech-lead'] } }),
    { name: 'ConflictError', message: /is a dry-run: it opens no gate and takes no decision/ }, 'nor does it take a decision');
});

t.test('a live run is refused while another is unfinished', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register(gatedRunbook(w, 0.97));
  const id = engine.start('gated', { params: {}, dryRun: false, by: 'x' }).id;
  await engine.settled(id);
  t.throws(() => engine.start('gated', { params: {}, dryRun: false, by: 'x' }), { name: 'ConflictError' });
  t.doesNotThrow(() => engine.start('gated', { params: {}, dryRun: true, by: 'x' }), 'a dry-run may run beside it');
});

t.test('after a crash mid-step the run resumes there and no finished act runs again', async (t) => {
  const { store, file } = tempStore(t);
  const w = world();
  let hang = true;
  const stuck = w.step('b', {
    async act(ctx) {
      w.acts.push('b');
      if (hang) await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('killed'))));
      w.on.add('b');
    },
  });
  const runbook: Runbook = { name: 'crashy', title: 'crashy', steps: [w.step('a'), stuck, w.step('c')] };
  const first = engineOn(store);
  first.register(runbook);
  const id = first.start('crashy', { params: {}, dryRun: false, by: 'x' }).id;
  while (!w.acts.includes('b')) await new Promise((r) => setTimeout(r, 5));
  // The process dies: nothing more is written by the first engine (its store handle is dropped).
  store.close();
  void first.close();

  hang = false;
  const reopened = openStore(file);
  t.teardown(() => reopened.close());
  t.equal(reopened.runs.get(id)?.status, 'running');
  const second = engineOn(reopened);
  second.register(runbook);
  t.same(second.resumeInterrupted(), [id]);
  const view = await second.settled(id);
  t.equal(view.status, 'succeeded');
  t.same(w.acts, ['a', 'b', 'b', 'c'], 'a ran once; b, unfinished at the crash, ran again; then c');
});

t.test('a step over its time limit fails with the limit named', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register({ name: 'slow', title: 'slow', steps: [w.step('a', { timeoutMs: 50, act: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('late')))) })] });
  const view = await engine.settled(engine.start('slow', { params: {}, dryRun: false, by: 'x' }).id);
  t.equal(view.status, 'failed');
  t.match(view.steps[0]!.result?.reason, /timed out after 50 ms/);
});

t.test('abort with undo puts back what the acts changed, newest first', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register({ name: 'undoable', title: 'undoable', steps: [w.step('a'), w.step('b'), w.step('c', { gate: () => ({ id: 'go', role: 'cto', question: 'go?' }) })] });
  const id = engine.start('undoable', { params: {}, dryRun: false, by: 'x' }).id;
  await engine.settled(id);
  const view = await engine.abort(id, { by: 'cto', reason: 'AWS is back', undo: true });
  t.equal(view.status, 'aborted');
  t.same(w.undos, ['b', 'a']);
  t.same([...w.on], []);
  await t.rejects(engine.abort(id, { by: 'cto', reason: 'again' }), { name: 'ConflictError' });
});
