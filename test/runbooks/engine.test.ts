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
  const started = await engine.start('plain', { params: { reason: 'test' }, dryRun: false, by: 'demo-sre' });
  const view = await engine.settled(started.id);
  t.equal(view.status, 'succeeded');
  t.same(w.acts, ['a', 'b', 'c']);
  t.same(view.steps.map((s) => s.status), ['succeeded', 'succeeded', 'succeeded']);
  t.ok((await store.audit.list({ limit: 50 })).some((r) => r.action === 'runbook.act' && r.details.step === 'b'), 'each act is audited');
});

t.test('a failing verify stops the run at a failure gate; retry runs the step again and the run goes on', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register({ name: 'broken', title: 'broken', steps: [w.step('a', { act: async () => {} }), w.step('b')] });
  const id = (await engine.start('broken', { params: {}, dryRun: false, by: 'x' })).id;
  let view = await engine.settled(id);
  t.equal(view.status, 'awaiting-approval', 'a failed step asks a person');
  t.equal(view.steps[0]!.result?.reason, 'a is off');
  t.equal(view.steps[1]!.status, 'pending');
  t.same(view.gates.map((g) => [g.id, g.kind, g.role, g.status, g.options]), [['recover-a', 'failure', 'tech-lead', 'pending', ['retry', 'rollback', 'skip']]]);
  t.match(view.gates[0]!.question, /^turn a on failed: a is off\. Retry the step, roll back every act done so far/);

  w.on.add('a'); // a person fixed it by hand
  await engine.decide(id, { gate: 'recover-a', decision: 'retry', reason: 'the switch is fixed', by: { name: 'lead', roles: ['tech-lead'] } });
  view = await engine.settled(id);
  t.equal(view.status, 'succeeded');
  t.same(w.acts, ['b'], 'a\'s act, done once, is not repeated by the retry: only its verify is');
  t.same(view.gates.map((g) => [g.id, g.status, g.decision]), [['recover-a', 'decided', 'retry']]);
});

t.test('a step that fails again after a retry asks again, at its next failure gate', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register({ name: 'broken', title: 'broken', steps: [w.step('a', { act: async () => { throw new Error('the API said no'); } })] });
  const id = (await engine.start('broken', { params: {}, dryRun: false, by: 'x' })).id;
  await engine.settled(id);
  await engine.decide(id, { gate: 'recover-a', decision: 'retry', reason: 'once more', by: { name: 'lead', roles: ['tech-lead'] } });
  const view = await engine.settled(id);
  t.equal(view.status, 'awaiting-approval');
  t.same(view.gates.map((g) => [g.id, g.status]), [['recover-a', 'decided'], ['recover-a-2', 'pending']]);
  t.match(view.steps[0]!.result?.reason, /the API said no/);
});

t.test('rollback at a failure gate undoes every act begun, newest first, and the run ends compensated', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  const noUndo = w.step('announce', { undo: undefined, irreversible: 'a message sent cannot be called back' });
  engine.register({ name: 'saga', title: 'saga', steps: [noUndo, w.step('a'), w.step('b'), w.step('c', { act: async () => { w.acts.push('c'); throw new Error('c broke halfway'); } }), w.step('d')] });
  const id = (await engine.start('saga', { params: {}, dryRun: false, by: 'x' })).id;
  await engine.settled(id);
  const decided = await engine.decide(id, { gate: 'recover-c', decision: 'rollback', reason: 'give up', by: { name: 'lead', roles: ['tech-lead'] } });
  t.equal(decided.replayed, false);
  const view = await engine.settled(id);
  t.equal(view.status, 'compensated');
  t.same(w.undos, ['c', 'b', 'a'], 'newest first; c, begun and cut short, counts as done');
  t.same(view.steps.map((s) => [s.id, s.undo?.status, s.undo?.reason]), [
    ['announce', 'skip', 'not undone: a message sent cannot be called back'],
    ['a', 'pass', 'undone by lead'], ['b', 'pass', 'undone by lead'], ['c', 'pass', 'undone by lead'], ['d', undefined, undefined],
  ]);
  t.same(w.acts.includes('d'), false, 'nothing after the failed step ran');
  await t.rejects(engine.abort(id, { by: 'cto', reason: 'again', undo: true }), { name: 'ConflictError', message: /already compensated/ });
  t.same(w.undos, ['c', 'b', 'a'], 'a compensated run is not undone twice');
});

t.test('skip needs a cto and is refused for a step that must hold', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register({ name: 'skippy', title: 'skippy', steps: [w.step('a', { act: async () => {} }), w.step('must', { act: async () => {}, skippable: false }), w.step('c')] });
  const id = (await engine.start('skippy', { params: {}, dryRun: false, by: 'x' })).id;
  await engine.settled(id);
  await t.rejects(engine.decide(id, { gate: 'recover-a', decision: 'skip', reason: 'not needed', by: { name: 'lead', roles: ['tech-lead'] } }), { name: 'ForbiddenError', message: /skipping a failed step needs the cto role/ });
  await t.rejects(engine.decide(id, { gate: 'recover-a', decision: 'approve', reason: 'ok', by: { name: 'lead', roles: ['tech-lead'] } }), { name: 'UsageError', message: /takes retry, rollback, skip, not "approve"/ });
  await engine.decide(id, { gate: 'recover-a', decision: 'skip', reason: 'a is not needed today', by: { name: 'boss', roles: ['cto'] } });
  let view = await engine.settled(id);
  t.equal(view.steps[0]!.status, 'skipped');
  t.match(view.steps[0]!.result?.reason, /^skipped by boss after it failed: a is not needed today$/);
  t.equal(view.status, 'awaiting-approval', 'the next step failed in its turn');
  await t.rejects(engine.decide(id, { gate: 'recover-must', decision: 'skip', reason: 'skip it', by: { name: 'boss', roles: ['cto'] } }), { name: 'ConflictError', message: /step must cannot be skipped/ });
  view = await engine.view(id);
  t.equal(view.gates.find((g) => g.id === 'recover-must')?.status, 'pending', 'a refused skip records nothing');
});

t.test('a gate waits for its role; wrong role 403, replay changes nothing, approval resumes', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register(gatedRunbook(w, 0.97));
  const id = (await engine.start('gated', { params: {}, dryRun: false, by: 'lead' })).id;
  let view = await engine.settled(id);
  t.equal(view.status, 'awaiting-approval');
  t.same(view.gates.map((g) => [g.id, g.role, g.status]), [['proceed', 'tech-lead', 'pending']]);
  t.same(w.acts, [], 'the gated act has not run');

  await t.rejects(engine.decide(id, { gate: 'proceed', decision: 'approve', reason: 'go', by: { name: 'viewer', roles: ['viewer'] } }), { name: 'ForbiddenError' });
  await t.rejects(engine.decide(id, { gate: 'nope', decision: 'approve', reason: 'go', by: { name: 'l', roles: ['tech-lead'] } }), { name: 'NotFoundError' });
  const first = await engine.decide(id, { gate: 'proceed', decision: 'approve', reason: 'integrity is fine', by: { name: 'lead', roles: ['tech-lead'] } });
  t.equal(first.replayed, false);
  view = await engine.settled(id);
  t.equal(view.status, 'succeeded');
  const replay = await engine.decide(id, { gate: 'proceed', decision: 'approve', reason: 'integrity is fine', by: { name: 'lead', roles: ['tech-lead'] } });
  t.equal(replay.replayed, true, 'the same decision repeated is a replay');
  await t.rejects(engine.decide(id, { gate: 'proceed', decision: 'reject', reason: 'changed my mind', by: { name: 'lead', roles: ['tech-lead'] } }),
    { name: 'ConflictError', message: /gate "proceed" of run \S+ was already decided: approve by lead \(integrity is fine\); that decision stands/ }, 'a contradicting one is refused, naming the standing decision');
  t.equal((await engine.view(id)).gates[0]!.status, 'approved', 'the first decision stands');
  t.same(w.acts, ['cutover']);
});

t.test('below 95 % the gate is the CTO\'s, and a rejection fails the run without acting', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register(gatedRunbook(w, 0.8));
  const id = (await engine.start('gated', { params: {}, dryRun: false, by: 'lead' })).id;
  await engine.settled(id);
  await t.rejects(engine.decide(id, { gate: 'accept-loss', decision: 'approve', reason: 'ok', by: { name: 'lead', roles: ['tech-lead'] } }), { name: 'ForbiddenError' });
  await engine.decide(id, { gate: 'accept-loss', decision: 'reject', reason: 'retry the sync first', by: { name: 'cto', roles: ['cto'] } });
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
  const view = await engine.settled((await engine.start('gated', { params: {}, dryRun: true, by: 'x' })).id);
  t.equal(view.status, 'succeeded');
  t.same(w.acts, []);
  t.equal(view.steps[1]!.result?.status, 'warn');
  t.match(view.steps[1]!.result?.reason, /dry-run: the act would be needed — cutover is off \(would wait for the tech-lead/);
  t.same(view.gates, [], 'it opens no gate, so none is shown waiting for anyone');
  await t.rejects(engine.decide(view.id, { gate: 'proceed', decision: 'approve', reason: 'ok', by: { name: 'lead', roles: ['tech-lead'] } }),
    { name: 'ConflictError', message: /is a dry-run: it opens no gate and takes no decision/ }, 'nor does it take a decision');
});

t.test('a live run is refused while another is unfinished', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register(gatedRunbook(w, 0.97));
  const id = (await engine.start('gated', { params: {}, dryRun: false, by: 'x' })).id;
  await engine.settled(id);
  await t.rejects(engine.start('gated', { params: {}, dryRun: false, by: 'x' }), { name: 'ConflictError' });
  await t.resolves(engine.start('gated', { params: {}, dryRun: true, by: 'x' }), 'a dry-run may run beside it');
});

t.test('one live run at a time, however many dry-runs came since', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register(gatedRunbook(w, 0.97));
  const live = (await engine.start('gated', { params: {}, dryRun: false, by: 'x' })).id;
  await engine.settled(live);
  for (let i = 0; i < 51; i++) await engine.settled((await engine.start('gated', { params: {}, dryRun: true, by: 'x' })).id);
  await t.rejects(engine.start('gated', { params: {}, dryRun: false, by: 'y' }), { name: 'ConflictError', message: new RegExp(`run ${live} \\(gated\\) is still awaiting-approval`) });
});

t.test('four eyes: nobody decides a gate of a run they started', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = new RunbookEngine({ store, clock: systemClock, log: quiet, stepTimeoutMs: 5_000, fourEyes: true });
  engine.register(gatedRunbook(w, 0.97));
  const id = (await engine.start('gated', { params: {}, dryRun: false, by: 'lead' })).id;
  await engine.settled(id);
  await t.rejects(engine.decide(id, { gate: 'proceed', decision: 'approve', reason: 'mine', by: { name: 'lead', roles: ['tech-lead'] } }), { name: 'ForbiddenError', message: /four eyes \(activation\.fourEyes\): lead started run/ });
  await engine.decide(id, { gate: 'proceed', decision: 'approve', reason: 'a second pair of eyes', by: { name: 'lead-2', roles: ['tech-lead'] } });
  t.equal((await engine.settled(id)).status, 'succeeded');
});

t.test('a gate that opens notifies, naming the step, its reason and the decision command', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const opened: string[] = [];
  const engine = new RunbookEngine({ store, clock: systemClock, log: quiet, stepTimeoutMs: 5_000, onGateOpened: (run, gate) => void opened.push(`${run.id} ${gate.id} ${gate.kind ?? 'approval'}`) });
  engine.register({ name: 'broken', title: 'broken', steps: [w.step('a', { act: async () => {} })] });
  const id = (await engine.start('broken', { params: {}, dryRun: false, by: 'x' })).id;
  await engine.settled(id);
  t.same(opened, [`${id} recover-a failure`]);
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
  const id = (await first.start('crashy', { params: {}, dryRun: false, by: 'x' })).id;
  while (!w.acts.includes('b')) await new Promise((r) => setTimeout(r, 5));
  // The process dies: nothing more is written by the first engine (its store handle is dropped).
  await store.close();
  void first.close();

  hang = false;
  const reopened = openStore(file);
  t.teardown(() => reopened.close());
  t.equal((await reopened.runs.get(id))?.status, 'running');
  const second = engineOn(reopened);
  second.register(runbook);
  t.same(await second.resumeInterrupted(), [id]);
  const view = await second.settled(id);
  t.equal(view.status, 'succeeded');
  t.same(w.acts, ['a', 'b', 'b', 'c'], 'a ran once; b, unfinished at the crash, ran again; then c');
});

t.test('a step over its time limit fails with the limit named', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register({ name: 'slow', title: 'slow', steps: [w.step('a', { timeoutMs: 50, act: (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('late')))) })] });
  const view = await engine.settled((await engine.start('slow', { params: {}, dryRun: false, by: 'x' })).id);
  t.equal(view.status, 'awaiting-approval');
  t.equal(view.gates[0]?.id, 'recover-a');
  t.match(view.steps[0]!.result?.reason, /timed out after 50 ms/);
});

t.test('a wait after an act keeps its deadline across a restart and is not part of the step timeout', async (t) => {
  const { store, file, clock } = tempStore(t);
  const w = world();
  const waited = w.step('ttl', { timeoutMs: 100, waitAfterAct: () => 3600 });
  const runbook: Runbook = { name: 'waity', title: 'waity', steps: [waited, w.step('cutover')] };
  const first = new RunbookEngine({ store, clock, log: quiet, stepTimeoutMs: 100 });
  first.register(runbook);
  const id = (await first.start('waity', { params: {}, dryRun: false, by: 'x' })).id;
  while (!(await store.runs.steps(id))[0]!.waitUntil) await new Promise((r) => setTimeout(r, 5));
  const until = (await store.runs.steps(id))[0]!.waitUntil!;
  t.equal(Date.parse(until) - clock.now().getTime(), 3600_000, 'the deadline is stored with the step');
  // The process is killed during the wait; the clock moves on to 200 ms before the deadline.
  await first.close();
  t.equal((await store.runs.get(id))?.status, 'running');
  clock.advance(3600_000 - 200);
  const second = new RunbookEngine({ store, clock, log: quiet, stepTimeoutMs: 100 });
  second.register(runbook);
  const began = Date.now();
  t.same(await second.resumeInterrupted(), [id]);
  const view = await second.settled(id);
  t.ok(Date.now() - began >= 190, 'only what is left of the wait is waited');
  t.equal(view.status, 'succeeded', 'an hour-long wait does not trip a 100 ms step timeout');
  t.same(w.acts, ['ttl', 'cutover'], 'the act before the wait is not repeated');
  void file;
});

t.test('abort with undo puts back what the acts changed, newest first', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register({ name: 'undoable', title: 'undoable', steps: [w.step('a'), w.step('b'), w.step('c', { gate: () => ({ id: 'go', role: 'cto', question: 'go?' }) })] });
  const id = (await engine.start('undoable', { params: {}, dryRun: false, by: 'x' })).id;
  await engine.settled(id);
  const view = await engine.abort(id, { by: 'cto', reason: 'AWS is back', undo: true });
  t.equal(view.status, 'aborted');
  t.same(w.undos, ['b', 'a']);
  t.same([...w.on], []);
  t.same(view.steps.map((s) => s.undo?.status), ['pass', 'pass', undefined], 'each undo\'s result is in its step');
  await t.rejects(engine.abort(id, { by: 'cto', reason: 'again' }), { name: 'ConflictError' });
});

t.test('abort with undo is accepted for a run that waits at a failure gate, and for a failed one', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = engineOn(store);
  engine.register({ name: 'stuck', title: 'stuck', steps: [w.step('a'), w.step('b', { act: async () => void w.acts.push('b') })] });
  const waiting = (await engine.start('stuck', { params: {}, dryRun: false, by: 'x' })).id;
  await engine.settled(waiting);
  const aborted = await engine.abort(waiting, { by: 'lead', reason: 'stop here', undo: true });
  t.equal(aborted.status, 'aborted');
  t.same(w.undos, ['b', 'a']);

  engine.register({ name: 'refused', title: 'refused', steps: [w.step('x'), w.step('y', { gate: () => ({ id: 'go', role: 'cto', question: 'go?' }) })] });
  const rejected = (await engine.start('refused', { params: {}, dryRun: false, by: 'x' })).id;
  await engine.settled(rejected);
  await engine.decide(rejected, { gate: 'go', decision: 'reject', reason: 'no', by: { name: 'boss', roles: ['cto'] } });
  t.equal((await engine.settled(rejected)).status, 'failed');
  await engine.abort(rejected, { by: 'lead', reason: 'put it back', undo: true });
  t.same(w.undos, ['b', 'a', 'x'], 'a failed run can still be undone');
});

t.test('an act cut short by an abort counts as done: its undo runs', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const engine = new RunbookEngine({ store, clock: systemClock, log: quiet, stepTimeoutMs: 5_000, abortSettleMs: 200 });
  const started = new Promise<void>((resolve) => {
    engine.register({ name: 'hung', title: 'hung', steps: [w.step('half', { act: (ctx) => { resolve(); return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => setTimeout(() => reject(new Error('cut')), 50))); } })] });
  });
  const id = (await engine.start('hung', { params: {}, dryRun: false, by: 'x' })).id;
  await started;
  const view = await engine.abort(id, { by: 'lead', reason: 'stop', undo: true });
  t.equal(view.status, 'aborted');
  t.same(w.undos, ['half'], 'the act in doubt was undone');
  t.equal(view.steps[0]!.undo?.status, 'pass');
});

t.test('a decision recorded but never acted on (the process died right after) is resumed at start', async (t) => {
  const { store } = tempStore(t);
  const w = world();
  const runbook = gatedRunbook(w, 0.97);
  const first = engineOn(store);
  first.register(runbook);
  const id = (await first.start('gated', { params: {}, dryRun: false, by: 'x' })).id;
  await first.settled(id);
  // What decide() writes, in its one transaction, without the relaunch that would follow.
  await store.runs.decide({ runId: id, gate: 'proceed', role: 'tech-lead', decision: 'approve', by: 'lead', reason: 'go', at: new Date().toISOString() },
    { actor: 'lead', action: 'runbook.gate.approve', target: id, details: {} }, 'running');
  await first.close();
  const second = engineOn(store);
  second.register(runbook);
  t.same(await second.resumeInterrupted(), [id]);
  t.equal((await second.settled(id)).status, 'succeeded');
  t.same(w.acts, ['cutover']);
});
