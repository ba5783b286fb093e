/**
 * The Store contract: one suite that both engines pass (SQLite, PostgreSQL). `engine.open`
 * gives a fresh, empty store on a ManualClock, allowed to write (on PostgreSQL it holds the
 * lease); `reopen` closes it and opens the same store again, as a restart would, to prove that
 * what was written survives; `tamper` runs a statement on the database behind the store's back,
 * as someone with direct access to it could.
 */
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import type { Result, Status } from '../../src/core/result.js';
import { auditHash, GENESIS_HASH, incrementalVerifier } from '../../src/store/audit.js';
import type { Store } from '../../src/store/types.js';
import { ManualClock } from '../store/temp-store.js';

export interface OpenedStore {
  store: Store;
  clock: ManualClock;
  /** Closes the store and opens the same one again (a new open, new connections). */
  reopen(): Promise<Store>;
  /** One statement with `?` placeholders, run on the database directly. */
  tamper(sql: string, params?: Array<string | number>): Promise<void>;
}

export interface StoreEngine {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh, empty store, closed when `t` ends. */
  open(t: Test, clock?: ManualClock): Promise<OpenedStore>;
}

const steps = [
  { stepId: 'announce', title: 'Announce the activation' },
  { stepId: 'block-uploads', title: 'Block new uploads' },
  { stepId: 'dns', title: 'Point DNS at Azure' },
];

/** Check results that tell themselves apart: each its own reason and start. */
function results() {
  let n = 0;
  return (status: Status): Result => ({
    status,
    reason: `run ${++n}`,
    evidence: { n },
    measurements: { n },
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    durationMs: 5,
  });
}

/** The store's audit log, counting the rows it hands out and the full verifications asked of it. */
function counted(audit: Store['audit']) {
  const counts = { rowsRead: 0, fullVerifies: 0 };
  const spy: Store['audit'] = {
    ...audit,
    list: async (opts) => {
      const rows = await audit.list(opts);
      counts.rowsRead += rows.length;
      return rows;
    },
    verify: () => {
      counts.fullVerifies++;
      return audit.verify();
    },
  };
  return { spy, counts };
}

async function more(store: Store, n: number) {
  for (let i = 0; i < n; i++) await store.audit.append({ actor: 'dave', action: 'message.post', target: `m-${i}`, details: {} });
}

export async function storeContract(t: Test, engine: StoreEngine): Promise<void> {
  /** A store with `count` audit rows, a second apart. */
  const withRows = async (t: Test, count = 5) => {
    const opened = await engine.open(t);
    for (let i = 1; i <= count; i++) {
      await opened.store.audit.append({ actor: i % 2 ? 'alice' : 'carol', action: 'step.act', target: `run-1/step-${i}`, details: { z: i, a: { y: [1, 2], b: 'x' } } });
      opened.clock.advance(1000);
    }
    return opened;
  };

  await t.test('the store says its engine and answers a ping', async (t) => {
    const { store } = await engine.open(t);
    t.equal(store.engine, engine.name);
    t.type(store.file, 'string');
    await t.resolves(store.ping());
  });

  // ---------------------------------------------------------------- runbook runs

  await t.test('a run is created with its steps pending, in order', async (t) => {
    const { store, clock } = await engine.open(t);
    const id = randomUUID();
    const run = await store.runs.create({ id, runbook: 'activation', dryRun: true, params: { scenario: 'region down' }, startedBy: 'alice' }, steps);
    t.same(run, { id, runbook: 'activation', status: 'running', dryRun: true, params: { scenario: 'region down' }, startedBy: 'alice', startedAt: clock.now().toISOString() });
    t.same((await store.runs.steps(id)).map((s) => [s.position, s.stepId, s.status]), [
      [0, 'announce', 'pending'],
      [1, 'block-uploads', 'pending'],
      [2, 'dns', 'pending'],
    ]);
    t.same((await store.runs.list(10)).map((r) => r.id), [id]);
    t.equal(await store.runs.get('nope'), undefined);
  });

  await t.test('step updates persist, and survive reopening the store', async (t) => {
    const { store, reopen } = await engine.open(t);
    const id = randomUUID();
    await store.runs.create({ id, runbook: 'rollback', dryRun: false, params: {}, startedBy: 'bob' }, steps);
    const result: Result = { status: 'pass', reason: 'announced', evidence: { to: ['ops'] }, measurements: {}, startedAt: '2026-03-02T03:00:00.000Z', durationMs: 12 };
    const undoResult: Result = { ...result, reason: 'unblocked' };
    await store.runs.updateStep(id, 'announce', { status: 'running', startedAt: '2026-03-02T03:00:00.000Z', actStartedAt: '2026-03-02T03:00:00.500Z' });
    await store.runs.updateStep(id, 'announce', { actDoneAt: '2026-03-02T03:00:01.000Z', output: { ticket: 'INC-1', ids: [1, 2] } });
    await store.runs.updateStep(id, 'announce', { status: 'succeeded', finishedAt: '2026-03-02T03:00:02.000Z', result });
    await store.runs.updateStep(id, 'block-uploads', {});
    await store.runs.updateStep(id, 'dns', { status: 'failed', waitUntil: '2026-03-02T03:05:00.000Z', output: 'a string output', undoResult });
    await t.rejects(store.runs.updateStep(id, 'no-such-step', { status: 'running' }), { name: 'NotFoundError' });
    const reopened = await reopen();
    const [announce, block, dns] = await reopened.runs.steps(id);
    t.same(announce, {
      runId: id,
      stepId: 'announce',
      position: 0,
      title: 'Announce the activation',
      status: 'succeeded',
      startedAt: '2026-03-02T03:00:00.000Z',
      finishedAt: '2026-03-02T03:00:02.000Z',
      actStartedAt: '2026-03-02T03:00:00.500Z',
      actDoneAt: '2026-03-02T03:00:01.000Z',
      output: { ticket: 'INC-1', ids: [1, 2] },
      result,
    });
    t.equal(block?.status, 'pending');
    t.match(dns, { status: 'failed', waitUntil: '2026-03-02T03:05:00.000Z', output: 'a string output', undoResult });
    t.match(await reopened.runs.get(id), { id, status: 'running', dryRun: false });
  });

  await t.test('status changes set the finish time only when the run ends', async (t) => {
    const { store, clock } = await engine.open(t);
    const id = randomUUID();
    await store.runs.create({ id, runbook: 'activation', dryRun: false, params: {}, startedBy: 'alice' }, steps);
    await store.runs.setStatus(id, 'awaiting-approval');
    t.equal((await store.runs.get(id))?.finishedAt, undefined);
    clock.advance(5_000);
    await store.runs.setStatus(id, 'aborted');
    t.match(await store.runs.get(id), { status: 'aborted', finishedAt: clock.now().toISOString() });
    await t.rejects(store.runs.setStatus('nope', 'failed'), { name: 'NotFoundError' });
  });

  await t.test('a gate takes one decision: a replayed or conflicting approval has no effect', async (t) => {
    const { store } = await engine.open(t);
    const id = randomUUID();
    await store.runs.create({ id, runbook: 'activation', dryRun: false, params: {}, startedBy: 'alice' }, steps);
    const approval = { runId: id, gate: 'integrity', role: 'cto', decision: 'approve' as const, by: 'carol', reason: 'accept 1% loss', at: '2026-03-02T03:10:00.000Z' };
    t.equal(await store.runs.addApproval(approval), true);
    t.equal(await store.runs.addApproval(approval), false, 'replay');
    t.equal(await store.runs.addApproval({ ...approval, decision: 'reject', by: 'mallory' }), false, 'a later contrary decision');
    t.equal(await store.runs.addApproval({ ...approval, gate: 'ic-checkpoint', role: 'tech-lead', by: 'alice' }), true, 'another gate');
    t.same((await store.runs.approvals(id)).map((a) => [a.gate, a.decision, a.by]), [
      ['integrity', 'approve', 'carol'],
      ['ic-checkpoint', 'approve', 'alice'],
    ]);
    t.same((await store.runs.approvals(id))[0], approval);
    await t.rejects(store.runs.addApproval({ ...approval, runId: 'no-run' }), { name: 'NotFoundError' });
  });

  await t.test('a decision, its audit row, the new status and the step patch are recorded together, once', async (t) => {
    const { store } = await engine.open(t);
    const id = randomUUID();
    await store.runs.create({ id, runbook: 'activation', dryRun: false, params: {}, startedBy: 'alice' }, steps);
    await store.runs.setStatus(id, 'awaiting-approval');
    const approval = { runId: id, gate: 'failure:dns', role: 'tech-lead', decision: 'retry' as const, by: 'bob', reason: 'transient', at: '2026-03-02T03:10:00.000Z' };
    const entry = { actor: 'bob', action: 'approval', target: `${id}/failure:dns`, details: { decision: 'retry' } };
    t.equal(await store.runs.decide(approval, entry, 'running', { stepId: 'dns', patch: { status: 'pending' } }), true);
    t.same(await store.runs.approvals(id), [approval]);
    t.equal((await store.runs.get(id))?.status, 'running');
    t.equal((await store.runs.steps(id))[2]?.status, 'pending');
    t.match(await store.audit.list({ limit: 10 }), [{ seq: 1, ...entry }]);

    t.equal(await store.runs.decide({ ...approval, decision: 'rollback', by: 'mallory' }, { ...entry, actor: 'mallory' }, 'failed'), false, 'the gate has its decision');
    t.equal((await store.runs.get(id))?.status, 'running', 'no status from the refused decision');
    t.equal((await store.audit.list({ limit: 10 })).length, 1, 'no audit row from the refused decision');

    await t.rejects(store.runs.decide({ ...approval, gate: 'g2' }, entry, 'running', { stepId: 'no-such-step', patch: { status: 'pending' } }), { name: 'NotFoundError' });
    t.same((await store.runs.approvals(id)).map((a) => a.gate), ['failure:dns'], 'a decision whose step patch failed is rolled back whole');
    t.equal((await store.audit.list({ limit: 10 })).length, 1);
    await t.rejects(store.runs.decide({ ...approval, runId: 'no-run' }, entry, 'running'), { name: 'NotFoundError' });
    t.same(await store.audit.verify(), { ok: true, rows: 1 });
  });

  await t.test('a create that fails leaves nothing behind', async (t) => {
    const { store } = await engine.open(t);
    await t.rejects(store.runs.create({ id: 'dup', runbook: 'x', dryRun: false, params: {}, startedBy: 'a' }, [steps[0]!, steps[0]!]), /unique/i);
    t.equal(await store.runs.get('dup'), undefined);
    t.same(await store.runs.steps('dup'), []);
    const run = await store.runs.create({ id: 'dup', runbook: 'x', dryRun: false, params: {}, startedBy: 'a' }, steps);
    t.equal(run.status, 'running', 'the failed live create held no place: the next live run starts');
  });

  await t.test('one live run at a time: a second is refused naming the one still running or waiting', async (t) => {
    const { store } = await engine.open(t);
    const first = randomUUID();
    await store.runs.create({ id: first, runbook: 'activation', dryRun: false, params: {}, startedBy: 'alice' }, steps);
    const second = randomUUID();
    await t.rejects(store.runs.create({ id: second, runbook: 'rollback', dryRun: false, params: {}, startedBy: 'bob' }, steps), {
      name: 'ConflictError',
      message: new RegExp(`run ${first} \\(activation\\) is still running`),
    });
    t.equal(await store.runs.get(second), undefined, 'nothing of the refused run is kept');
    t.same(await store.runs.steps(second), []);
    await store.runs.setStatus(first, 'awaiting-approval');
    await t.rejects(store.runs.create({ id: second, runbook: 'rollback', dryRun: false, params: {}, startedBy: 'bob' }, steps), {
      name: 'ConflictError',
      message: new RegExp(`run ${first} \\(activation\\) is still awaiting-approval`),
    });
    const dry = await store.runs.create({ id: randomUUID(), runbook: 'rollback', dryRun: true, params: {}, startedBy: 'bob' }, steps);
    t.equal(dry.status, 'running', 'dry-runs are not held back by a live run');
    await store.runs.setStatus(first, 'failed');
    t.match(await store.runs.create({ id: second, runbook: 'rollback', dryRun: false, params: {}, startedBy: 'bob' }, steps), { id: second, status: 'running' }, 'once it ended, another live run starts');
  });

  await t.test('active runs, oldest first, and an abort asked once of a run that has not ended', async (t) => {
    const { store, clock, reopen } = await engine.open(t);
    const live = randomUUID();
    const dry = randomUUID();
    const done = randomUUID();
    await store.runs.create({ id: done, runbook: 'drill', dryRun: true, params: {}, startedBy: 'alice' }, steps);
    await store.runs.setStatus(done, 'succeeded');
    clock.advance(1000);
    await store.runs.create({ id: live, runbook: 'activation', dryRun: false, params: {}, startedBy: 'alice' }, steps);
    await store.runs.setStatus(live, 'awaiting-approval');
    clock.advance(1000);
    await store.runs.create({ id: dry, runbook: 'rollback', dryRun: true, params: {}, startedBy: 'bob' }, steps);
    t.same((await store.runs.active()).map((r) => [r.id, r.status]), [[live, 'awaiting-approval'], [dry, 'running']]);

    const request = { by: 'carol', reason: 'wrong region', undo: true, at: '2026-03-02T03:20:00.000Z' };
    t.equal((await store.runs.get(live))?.abortRequest, undefined);
    t.equal(await store.runs.requestAbort(live, request), true);
    t.equal(await store.runs.requestAbort(live, { ...request, by: 'dave', undo: false }), false, 'the first request stands');
    t.equal(await store.runs.requestAbort(done, request), false, 'an ended run is not aborted');
    t.equal(await store.runs.requestAbort('nope', request), false);
    t.same((await store.runs.get(live))?.abortRequest, request);
    t.equal((await store.runs.get(done))?.abortRequest, undefined);
    t.same((await store.runs.active()).find((r) => r.id === live)?.abortRequest, request);

    const again = await reopen();
    t.same((await again.runs.get(live))?.abortRequest, request, 'the request survives a restart');
    await again.runs.setStatus(live, 'aborted');
    t.same((await again.runs.active()).map((r) => r.id), [dry]);
  });

  // ---------------------------------------------------------------- sync runs

  await t.test('a sync run from start to finish', async (t) => {
    const { store, clock } = await engine.open(t);
    const run = await store.syncs.start('uploads', false);
    t.match(run, { flow: 'uploads', reverse: false, status: 'running', startedAt: clock.now().toISOString(), summary: {} });
    t.match(run.id, /^[0-9a-f-]{36}$/);
    await store.syncs.update(run.id, { progress: { copied: 3 } });
    t.same((await store.syncs.get(run.id))?.summary, { progress: { copied: 3 } });
    clock.advance(60_000);
    await store.syncs.finish(run.id, 'succeeded', { durationMs: 5 }, '2026-03-02T02:59:00.000Z');
    t.same(await store.syncs.get(run.id), {
      ...run,
      status: 'succeeded',
      finishedAt: clock.now().toISOString(),
      summary: { durationMs: 5 },
      verifiedThrough: '2026-03-02T02:59:00.000Z',
    });
    t.equal(await store.syncs.get('nope'), undefined);
    await t.rejects(store.syncs.update('nope', {}), { name: 'NotFoundError' });
    await t.rejects(store.syncs.finish('nope', 'failed', {}), { name: 'NotFoundError' });
  });

  await t.test('list, last success and consecutive failures count forward runs of the flow only', async (t) => {
    const { store } = await engine.open(t);
    const finished = async (flow: 'site' | 'uploads', reverse: boolean, status: 'succeeded' | 'failed') => {
      const run = await store.syncs.start(flow, reverse);
      await store.syncs.finish(run.id, status, {});
      return run.id;
    };
    t.equal(await store.syncs.consecutiveFailures('site'), 0);
    t.equal(await store.syncs.lastSuccess('site'), undefined);
    await finished('site', false, 'failed');
    t.equal(await store.syncs.consecutiveFailures('site'), 1, 'failures before any success count');
    const ok = await finished('site', false, 'succeeded');
    await finished('site', false, 'failed');
    await finished('uploads', false, 'failed');
    await finished('site', true, 'failed');
    await finished('site', true, 'succeeded');
    await finished('site', false, 'failed');
    t.equal(await store.syncs.consecutiveFailures('site'), 2);
    t.equal(await store.syncs.consecutiveFailures('uploads'), 1);
    t.equal((await store.syncs.lastSuccess('site'))?.id, ok, 'a reverse success is not a forward success');
    t.equal((await store.syncs.list(100)).length, 7);
    t.equal((await store.syncs.list(100, 'uploads')).length, 1);
    t.same((await store.syncs.list(2)).map((r) => r.reverse), [false, true], 'newest first');
    await finished('site', false, 'succeeded');
    t.equal(await store.syncs.consecutiveFailures('site'), 0);
  });

  await t.test('sync runs left running by a crash are marked interrupted', async (t) => {
    const { store, reopen } = await engine.open(t);
    const done = await store.syncs.start('site', false);
    await store.syncs.finish(done.id, 'succeeded', {});
    const a = await store.syncs.start('site', false);
    const b = await store.syncs.start('metadata', true);
    const again = await reopen();
    t.equal(await again.syncs.markInterrupted(), 2);
    t.equal((await again.syncs.get(a.id))?.status, 'interrupted');
    t.equal((await again.syncs.get(b.id))?.status, 'interrupted');
    t.ok((await again.syncs.get(b.id))?.finishedAt);
    t.equal((await again.syncs.get(done.id))?.status, 'succeeded');
    t.equal(await again.syncs.markInterrupted(), 0);
    t.match(await again.syncs.start('site', false), { status: 'running' }, 'an interrupted run holds no place');
  });

  await t.test('one running sync per flow: a second start is refused naming the running run', async (t) => {
    const { store, reopen } = await engine.open(t);
    const site = await store.syncs.start('site', false);
    await t.rejects(store.syncs.start('site', false), { name: 'ConflictError', message: new RegExp(`the site sync is already running: run ${site.id}`) });
    await t.rejects(store.syncs.start('site', true), { name: 'ConflictError', message: new RegExp(site.id) }, 'a reverse run of the flow too');
    const uploads = await store.syncs.start('uploads', false);
    t.equal(uploads.status, 'running', 'another flow starts');
    t.same((await store.syncs.list(10)).map((r) => r.id), [uploads.id, site.id], 'nothing of the refused starts is kept');
    const again = await reopen();
    await t.rejects(again.syncs.start('site', false), { name: 'ConflictError', message: new RegExp(site.id) }, 'the store holds it, across a restart');
    await again.syncs.finish(site.id, 'failed', {});
    const next = await again.syncs.start('site', false);
    t.match(next, { flow: 'site', status: 'running' }, 'once finished, the flow starts again');
    t.not(next.id, site.id);
  });

  await t.test('a queued sync run: kept with its request, listed oldest first, claimed once under its id', async (t) => {
    const { store, clock, reopen } = await engine.open(t);
    const request = { since: '2026-03-01T00:00:00.000Z', allowDeletes: true, by: 'alice' };
    const site = await store.syncs.enqueue('site', false, request);
    t.match(site, { flow: 'site', reverse: false, status: 'queued', startedAt: clock.now().toISOString(), summary: { request } });
    t.match(site.id, /^[0-9a-f-]{36}$/);
    clock.advance(1000);
    const uploads = await store.syncs.enqueue('uploads', true, {});
    t.same((await store.syncs.queued()).map((r) => r.id), [site.id, uploads.id], 'oldest first');
    t.same((await store.syncs.list(10)).map((r) => r.status), ['queued', 'queued'], 'listed as runs');

    const again = await reopen();
    t.equal(await again.syncs.markInterrupted(), 0, 'a queued run is not interrupted by a restart: it never began');
    t.same(await again.syncs.get(site.id), site, 'it survives a restart as it was');
    t.equal(await again.syncs.consecutiveFailures('site'), 0);
    t.equal(await again.syncs.lastSuccess('site'), undefined);
    t.same(await again.alerts.syncDays('site', 10), [], 'not a sync day');

    clock.advance(60_000);
    const claimed = await again.syncs.claim(site.id);
    t.same(claimed, { ...site, status: 'running', startedAt: clock.now().toISOString() }, 'running under its id, started now');
    t.equal(await again.syncs.claim(site.id), undefined, 'a second claim takes nothing');
    t.equal(await again.syncs.claim('nope'), undefined);
    t.same((await again.syncs.queued()).map((r) => r.id), [uploads.id]);
    await t.rejects(again.syncs.start('site', false), { name: 'ConflictError', message: new RegExp(site.id) }, 'the claimed run holds its flow');
    await again.syncs.finish(site.id, 'succeeded', { durationMs: 1 });
    t.equal((await again.syncs.lastSuccess('site'))?.id, site.id);
    t.equal(await again.syncs.claim(site.id), undefined, 'a finished run is not claimed');
  });

  await t.test('a queued run is not claimed while its flow runs: refused naming the running run, it stays queued', async (t) => {
    const { store } = await engine.open(t);
    const running = await store.syncs.start('metadata', false);
    const queued = await store.syncs.enqueue('metadata', true, { since: '2026-03-01T00:00:00.000Z' });
    t.equal(queued.status, 'queued', 'queueing is not refused by a running run');
    await t.rejects(store.syncs.claim(queued.id), { name: 'ConflictError', message: new RegExp(`the metadata sync is already running: run ${running.id}`) });
    t.same(await store.syncs.queued(), [queued], 'still queued, unchanged');
    await store.syncs.finish(running.id, 'failed', {});
    t.match(await store.syncs.claim(queued.id), { id: queued.id, reverse: true, status: 'running' }, 'taken once the flow is free');
  });

  await t.test('two claims of one queued run at once: one takes it', async (t) => {
    const { store } = await engine.open(t);
    const queued = await store.syncs.enqueue('uploads', false, {});
    const claims = await Promise.all([store.syncs.claim(queued.id), store.syncs.claim(queued.id)]);
    t.same(claims.filter(Boolean).map((r) => r?.id), [queued.id]);
    t.same(await store.syncs.queued(), []);
  });

  // ---------------------------------------------------------------- audit log

  await t.test('appended audit rows form a chain and list in order', async (t) => {
    const { store } = await engine.open(t);
    const first = await store.audit.append({ actor: 'alice', action: 'activation.start', target: 'run-1', details: { b: 2, a: 1 } });
    const second = await store.audit.append({ actor: 'carol', action: 'approval', target: 'run-1/integrity', details: {} });
    t.equal(first.seq, 1);
    t.equal(first.prevHash, GENESIS_HASH);
    t.equal(second.prevHash, first.hash);
    t.equal(first.hash, auditHash({ ...first }), 'the hash covers the row');
    t.same(await store.audit.list({ limit: 10 }), [first, second]);
    t.same(await store.audit.list({ limit: 10, afterSeq: 1 }), [second]);
    t.same(await store.audit.list({ limit: 1 }), [first]);
    t.same(await store.audit.verify(), { ok: true, rows: 2 });
  });

  await t.test('the audit hash does not depend on the key order of details', async (t) => {
    const row = { seq: 1, at: 'x', actor: 'a', action: 'b', target: 'c', prevHash: GENESIS_HASH };
    t.equal(auditHash({ ...row, details: { a: 1, b: { c: 2, d: 3 } } }), auditHash({ ...row, details: { b: { d: 3, c: 2 }, a: 1 } }));
    t.not(auditHash({ ...row, details: { a: 1 } }), auditHash({ ...row, details: { a: 2 } }));
  });

  await t.test('concurrent appends make one chain', async (t) => {
    const { store } = await engine.open(t);
    const rows = await Promise.all(Array.from({ length: 10 }, (_, i) => store.audit.append({ actor: 'a', action: 'b', target: `t-${i}`, details: {} })));
    t.same(rows.map((r) => r.seq).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    t.same(await store.audit.verify(), { ok: true, rows: 10 });
  });

  await t.test('verify finds an edited row', async (t) => {
    const { store, tamper } = await withRows(t);
    await tamper("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3");
    t.same(await store.audit.verify(), { ok: false, rows: 5, firstBad: { seq: 3, reason: 'its contents no longer match its hash: the row was edited after it was written' } });
  });

  await t.test('verify finds edited details', async (t) => {
    const { store, tamper } = await withRows(t);
    await tamper(`UPDATE audit_log SET details = '{"z":99}' WHERE seq = 2`);
    t.match(await store.audit.verify(), { ok: false, firstBad: { seq: 2, reason: /edited/ } });
  });

  await t.test('verify finds a row edited with its hash recomputed: the next link breaks', async (t) => {
    const { store, tamper } = await withRows(t);
    const row = (await store.audit.list({ limit: 1, afterSeq: 1 }))[0]!;
    const forged = { ...row, actor: 'mallory' };
    await tamper('UPDATE audit_log SET actor = ?, hash = ? WHERE seq = 2', [forged.actor, auditHash(forged)]);
    t.match(await store.audit.verify(), { ok: false, firstBad: { seq: 3, reason: /link to row 2 is broken/ } });
  });

  await t.test('verify finds an inserted row', async (t) => {
    const { store, tamper } = await withRows(t);
    // Make room after row 2 and slip a well-formed row in, chained to row 2.
    await tamper('UPDATE audit_log SET seq = seq + 100 WHERE seq > 2');
    await tamper('UPDATE audit_log SET seq = seq - 99 WHERE seq > 100');
    const two = (await store.audit.list({ limit: 1, afterSeq: 1 }))[0]!;
    const fake = { seq: 3, at: two.at, actor: 'mallory', action: 'approval', target: 'run-1/integrity', details: {}, prevHash: two.hash };
    await tamper('INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      fake.seq, fake.at, fake.actor, fake.action, fake.target, '{}', fake.prevHash, auditHash(fake),
    ]);
    t.match(await store.audit.verify(), { ok: false, rows: 6, firstBad: { seq: 4, reason: /link to row 3 is broken/ } });
  });

  await t.test('verify finds a row appended by hand', async (t) => {
    const { store, tamper } = await withRows(t);
    await tamper("INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) VALUES (6, 'x', 'mallory', 'a', 't', '{}', ?, ?)", [GENESIS_HASH, GENESIS_HASH]);
    t.match(await store.audit.verify(), { ok: false, firstBad: { seq: 6, reason: /link to row 5 is broken/ } });
  });

  await t.test('verify finds a deleted row', async (t) => {
    const { store, tamper } = await withRows(t);
    await tamper('DELETE FROM audit_log WHERE seq = 3');
    t.same(await store.audit.verify(), { ok: false, rows: 4, firstBad: { seq: 3, reason: 'row 3 is missing: the log jumps from 2 to 4, so rows were deleted' } });
  });

  await t.test('verify finds deleted leading rows, and a deleted row with the rest renumbered', async (t) => {
    const { store, tamper } = await withRows(t);
    await tamper('DELETE FROM audit_log WHERE seq <= 2');
    t.match(await store.audit.verify(), { ok: false, firstBad: { seq: 1, reason: /rows 1–2 are missing/ } });
    // In two moves, so that no engine meets a key still taken half-way through.
    await tamper('UPDATE audit_log SET seq = seq + 1000');
    await tamper('UPDATE audit_log SET seq = seq - 1002');
    t.match(await store.audit.verify(), { ok: false, firstBad: { seq: 1, reason: /does not start the chain/ } });
  });

  await t.test('appends continue the chain after reopening', async (t) => {
    const { reopen } = await withRows(t, 2);
    const store = await reopen();
    const next = await store.audit.append({ actor: 'a', action: 'b', target: 'c', details: {} });
    t.equal(next.seq, 3);
    t.same(await store.audit.verify(), { ok: true, rows: 3 });
  });

  await t.test('the incremental verifier reads only the rows appended since its last call, and the last one it verified', async (t) => {
    const { store } = await withRows(t);
    const { spy, counts } = counted(store.audit);
    const verify = incrementalVerifier(spy);
    t.same(await verify(), { ok: true, rows: 5 });
    t.equal(counts.rowsRead, 5, 'the first call follows the whole chain');
    await more(store, 3);
    counts.rowsRead = 0;
    t.same(await verify(), { ok: true, rows: 8 });
    t.equal(counts.rowsRead, 1 + 3, 'the remembered last row, then the new ones');
    counts.rowsRead = 0;
    t.same(await verify(), { ok: true, rows: 8 });
    t.equal(counts.rowsRead, 1, 'nothing new: only the remembered last row');
    t.equal(counts.fullVerifies, 0);
  });

  await t.test('the incremental verifier does not see an edit to a row it already verified; the full verify does', async (t) => {
    const { store, tamper } = await withRows(t);
    const verify = incrementalVerifier(store.audit);
    await verify();
    await tamper("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2");
    t.same(await verify(), { ok: true, rows: 5 }, 'by design: only new rows are hashed');
    t.match(await store.audit.verify(), { ok: false, firstBad: { seq: 2 } });
  });

  await t.test('a break among the new rows is reported as the full verify reports it', async (t) => {
    const { store, tamper } = await withRows(t);
    const { spy, counts } = counted(store.audit);
    const verify = incrementalVerifier(spy);
    await verify();
    await more(store, 3);
    await tamper("UPDATE audit_log SET actor = 'mallory' WHERE seq = 7");
    t.same(await verify(), { ok: false, rows: 8, firstBad: { seq: 7, reason: 'its contents no longer match its hash: the row was edited after it was written' } });
    t.equal(counts.fullVerifies, 1);
    await tamper(`UPDATE audit_log SET details = '{"z":' WHERE seq = 8`);
    t.match(await verify(), { ok: false, rows: 8, firstBad: { seq: 7 } }, 'a row that no longer parses is judged by the full verify too');
  });

  await t.test('a log cut back or rewritten past the remembered row is followed again from its start', async (t) => {
    const { store, tamper } = await withRows(t);
    const { spy, counts } = counted(store.audit);
    const verify = incrementalVerifier(spy);
    await verify();
    await tamper('DELETE FROM audit_log WHERE seq > 3');
    counts.rowsRead = 0;
    t.same(await verify(), { ok: true, rows: 3 }, 'cutting rows off the end leaves a consistent chain: only a hash kept elsewhere shows it');
    t.equal(counts.rowsRead, 3, 'no remembered row 5: the three rows are followed from the start');
    await tamper('UPDATE audit_log SET hash = ? WHERE seq = 3', [GENESIS_HASH]);
    t.match(await verify(), { ok: false, rows: 3, firstBad: { seq: 3 } }, 'the remembered row rewritten: the chain is followed from its start and breaks there');
  });

  // ---------------------------------------------------------------- check results

  await t.test('check results: latest and history', async (t) => {
    const { store } = await engine.open(t);
    const result = results();
    const a1 = result('pass');
    const a2 = result('fail');
    const b1 = result('warn');
    await store.checks.record('monthly', 'a', a1);
    await store.checks.record('probes', 'b', b1);
    await store.checks.record('monthly', 'a', a2);
    t.same(await store.checks.latest(), [
      { suite: 'monthly', check: 'a', result: a2 },
      { suite: 'probes', check: 'b', result: b1 },
    ]);
    t.same((await store.checks.history('monthly', 'a', 10)).map((r) => r.result), [a2, a1], 'newest first');
    t.same((await store.checks.history('monthly', 'a', 1)).map((r) => r.result), [a2]);
    t.same(await store.checks.history('monthly', 'zzz', 10), []);
    t.same(await store.checks.historyLengths(), [
      { suite: 'monthly', check: 'a', length: 2 },
      { suite: 'probes', check: 'b', length: 1 },
    ]);
  });

  await t.test('prune keeps the newest per check and every failure', async (t) => {
    const { store } = await engine.open(t);
    const result = results();
    const statuses: Status[] = ['fail', 'pass', 'pass', 'fail', 'pass', 'warn', 'pass'];
    const a = statuses.map((s) => result(s));
    for (const r of a) await store.checks.record('s', 'a', r);
    const b = [result('pass'), result('pass')];
    for (const r of b) await store.checks.record('s', 'b', r);
    await store.checks.prune(2);
    t.same(
      (await store.checks.history('s', 'a', 100)).map((r) => r.result.reason),
      [a[6], a[5], a[3], a[0]].map((r) => r!.reason),
      'the two newest, then the older failures',
    );
    t.equal((await store.checks.history('s', 'b', 100)).length, 2, 'a check with few results loses none');
    t.same(await store.checks.historyLengths(), [
      { suite: 's', check: 'a', length: 4 },
      { suite: 's', check: 'b', length: 2 },
    ]);
  });

  // ---------------------------------------------------------------- jobs, reports

  await t.test('the last start of each job is remembered across reopening', async (t) => {
    const { store, reopen } = await engine.open(t);
    t.equal(await store.jobs.lastRun('sync'), undefined);
    await store.jobs.recordRun('sync', new Date('2026-03-01T03:00:00Z'));
    await store.jobs.recordRun('sync', new Date('2026-03-02T03:00:00Z'));
    await store.jobs.recordRun('monthly', new Date('2026-03-02T09:00:00Z'));
    const again = await reopen();
    t.same(await again.jobs.lastRun('sync'), new Date('2026-03-02T03:00:00Z'));
    t.same(await again.jobs.lastRun('monthly'), new Date('2026-03-02T09:00:00Z'));
  });

  await t.test('reports are saved whole and listed newest first without their body', async (t) => {
    const { store, clock, reopen } = await engine.open(t);
    const march = await store.reports.save({ kind: 'monthly', period: '2026-03', format: 'html', body: '<h1>March</h1>' });
    clock.advance(1000);
    const rollback = await store.reports.save({ kind: 'post-rollback', period: '2026-03-05', format: 'md', body: '# Rollback' });
    t.match(march.id, /^[0-9a-f-]{36}$/);
    t.equal(march.createdAt, '2026-03-02T03:00:00.000Z');
    t.same(await store.reports.get(march.id), march);
    t.equal(await store.reports.get('nope'), undefined);
    t.same(await store.reports.list(10), [rollback, march].map(({ body: _body, ...meta }) => meta));
    t.same((await store.reports.list(10, 'monthly')).map((r) => r.id), [march.id]);
    t.same((await store.reports.list(1)).map((r) => r.id), [rollback.id]);
    const again = await reopen();
    t.same(await again.reports.get(rollback.id), rollback, 'kept whole across a restart');
  });

  // ---------------------------------------------------------------- sync alerts

  await t.test('sync alerts: one per streak, its recovery once, the channels each went out on', async (t) => {
    const { store, clock, reopen } = await engine.open(t);
    const streak = { flow: 'uploads' as const, streakStart: '2026-03-01', failureClass: 'auth', failedDays: ['2026-03-01', '2026-03-02'], lastError: 'token expired' };
    t.equal(await store.alerts.open(streak), true);
    t.equal(await store.alerts.open({ ...streak, lastError: 'again' }), false, 'the streak has its alert');
    await store.alerts.markSent('uploads', '2026-03-01', 'alert', 'email');
    await store.alerts.markSent('uploads', '2026-03-01', 'alert', 'email');
    await store.alerts.markSent('uploads', '2026-03-01', 'alert', 'webhook');
    await t.rejects(store.alerts.markSent('site', '2026-03-01', 'alert', 'email'), { name: 'NotFoundError' });
    const opened = { ...streak, alertedAt: clock.now().toISOString(), alertSentTo: ['email', 'webhook'], recoverySentTo: [] };
    t.same(await store.alerts.get('uploads', '2026-03-01'), opened);
    clock.advance(86_400_000);
    t.equal(await store.alerts.recover('uploads', '2026-03-01'), true);
    t.equal(await store.alerts.recover('uploads', '2026-03-01'), false, 'recovered once');
    t.equal(await store.alerts.recover('site', '2026-03-01'), false, 'no such alert');
    await store.alerts.markSent('uploads', '2026-03-01', 'recovery', 'email');
    t.equal(await store.alerts.open({ ...streak, flow: 'site' }), true, 'another flow has its own streaks');
    const again = await reopen();
    t.same(await again.alerts.get('uploads', '2026-03-01'), { ...opened, recoveredAt: clock.now().toISOString(), recoverySentTo: ['email'] });
    t.equal(await again.alerts.get('metadata', '2026-03-01'), undefined);
    t.same((await again.alerts.list(10)).map((a) => a.flow), ['site', 'uploads'], 'newest first');
    t.same((await again.alerts.list(10, 'uploads')).map((a) => a.flow), ['uploads']);
    t.same((await again.alerts.list(1)).map((a) => a.flow), ['site']);
  });

  await t.test('sync days count the forward runs that ended succeeded or failed, per UTC day, newest first', async (t) => {
    const { store, clock } = await engine.open(t, new ManualClock(new Date('2026-03-01T23:30:00Z')));
    const finished = async (flow: 'site' | 'uploads', reverse: boolean, status: 'succeeded' | 'failed' | 'interrupted') => {
      const run = await store.syncs.start(flow, reverse);
      await store.syncs.finish(run.id, status, {});
    };
    t.same(await store.alerts.syncDays('uploads', 10), []);
    await finished('uploads', false, 'failed');
    await finished('uploads', false, 'failed');
    await finished('uploads', false, 'interrupted');
    await finished('uploads', true, 'succeeded');
    await finished('site', false, 'succeeded');
    clock.advance(3_600_000);
    await finished('uploads', false, 'failed');
    await finished('uploads', false, 'succeeded');
    clock.advance(86_400_000);
    await finished('uploads', false, 'succeeded');
    await store.syncs.start('uploads', false);
    t.same(await store.alerts.syncDays('uploads', 10), [
      { day: '2026-03-03', succeeded: 1, failed: 0 },
      { day: '2026-03-02', succeeded: 1, failed: 1 },
      { day: '2026-03-01', succeeded: 0, failed: 2 },
    ]);
    t.same(await store.alerts.syncDays('uploads', 1), [{ day: '2026-03-03', succeeded: 1, failed: 0 }]);
    t.same(await store.alerts.syncDays('site', 10), [{ day: '2026-03-01', succeeded: 1, failed: 0 }]);
  });

  // ---------------------------------------------------------------- messages

  await t.test('messages: held for approval, decided once with an audit row, delivered by the one who won', async (t) => {
    const { store, clock, reopen } = await engine.open(t);
    const runId = randomUUID();
    const internal = await store.messages.create({ runId, kind: 'internal-alert', audience: 'internal', status: 'sending', subject: 'DR activation', body: 'We are activating.', createdBy: 'alice' });
    t.same(internal, { id: internal.id, runId, kind: 'internal-alert', audience: 'internal', status: 'sending', subject: 'DR activation', body: 'We are activating.', createdBy: 'alice', createdAt: clock.now().toISOString(), channels: [] });
    clock.advance(1000);
    const external = await store.messages.create({ runId, kind: 'external-initial', audience: 'external', status: 'awaiting-approval', subject: 'Service notice', body: 'We are moving.', createdBy: 'alice' });
    const other = await store.messages.create({ kind: 'status-update', audience: 'internal', status: 'sent', subject: 's', body: 'b', createdBy: 'bob', decidedBy: 'bob' });
    t.equal(other.runId, undefined);
    t.equal(other.decidedBy, 'bob');
    t.equal(await store.messages.get('nope'), undefined);
    t.same((await store.messages.list(10)).map((m) => m.id), [other.id, external.id, internal.id], 'newest first');
    t.same((await store.messages.list(1)).map((m) => m.id), [other.id]);
    t.same((await store.messages.forRun(runId)).map((m) => m.id), [internal.id, external.id], 'oldest first');

    const entry = { actor: 'carol', action: 'message.approve', target: external.id, details: {} };
    t.equal(await store.messages.decide(external.id, { status: 'sending', decidedBy: 'carol' }, entry), true);
    t.equal(await store.messages.decide(external.id, { status: 'rejected', decidedBy: 'mallory' }, { ...entry, actor: 'mallory' }), false, 'decided once');
    t.match(await store.messages.get(external.id), { status: 'sending', decidedBy: 'carol' });
    t.match(await store.audit.list({ limit: 10 }), [{ seq: 1, actor: 'carol', action: 'message.approve' }]);
    t.equal((await store.audit.list({ limit: 10 })).length, 1, 'no audit row for the losing decision');

    clock.advance(1000);
    t.same(await store.messages.settle(internal.id, { status: 'sent', channels: ['email', 'slack'] }), { ...internal, status: 'sent', sentAt: clock.now().toISOString(), channels: ['email', 'slack'] });
    t.match(await store.messages.settle(internal.id, { status: 'failed', channels: [], error: 'late' }), { status: 'sent', channels: ['email', 'slack'] }, 'only a message being sent settles');
    t.equal(await store.messages.retry(internal.id, entry), false, 'a sent message is not retried');

    t.equal(await store.messages.markInterrupted('cut short by a restart'), 1, 'the external one was being sent');
    t.equal(await store.messages.markInterrupted('again'), 0);
    const again = await reopen();
    t.match(await again.messages.get(external.id), { status: 'sending', error: 'cut short by a restart' });
    t.equal(await again.messages.retry(external.id, { ...entry, action: 'message.retry' }), true);
    t.equal(await again.messages.retry(external.id, { ...entry, action: 'message.retry' }), false, 'being sent again, without an error');
    const failed = await again.messages.settle(external.id, { status: 'failed', channels: [], error: 'smtp down' });
    t.match(failed, { status: 'failed', error: 'smtp down', channels: [] });
    t.equal(failed.sentAt, undefined);
    t.equal(await again.messages.retry(external.id, entry), true, 'a failed message is retried');
    t.same((await again.audit.list({ limit: 10 })).map((r) => r.action), ['message.approve', 'message.retry', 'message.approve']);
    t.same(await again.audit.verify(), { ok: true, rows: 3 });
  });

  // ---------------------------------------------------------------- contingencies

  await t.test('contingencies: begun by a run, ended once, begun again from the first start', async (t) => {
    const { store, clock, reopen } = await engine.open(t);
    t.equal(await store.contingencies.current(), undefined);
    t.equal(await store.contingencies.latest(), undefined);
    t.equal(await store.contingencies.end('nobody'), undefined, 'nothing to end');
    const since = clock.now().toISOString();
    t.same(await store.contingencies.begin('run-1', 'activation'), { runId: 'run-1', runbook: 'activation', since });
    clock.advance(60_000);
    const ended = await store.contingencies.end('run-2');
    t.same(ended, { runId: 'run-1', runbook: 'activation', since, endedAt: clock.now().toISOString(), endedBy: 'run-2' });
    t.equal(await store.contingencies.current(), undefined);
    t.same(await store.contingencies.latest(), ended);
    t.equal(await store.contingencies.end('run-2'), undefined, 'ended once');
    clock.advance(60_000);
    t.same(await store.contingencies.begin('run-1', 'activation'), { runId: 'run-1', runbook: 'activation', since }, 'the cutback undone: open again, from its first start');
    const again = await reopen();
    t.same(await again.contingencies.current(), { runId: 'run-1', runbook: 'activation', since });
    clock.advance(60_000);
    await again.contingencies.end('run-3');
    const later = clock.now().toISOString();
    t.same(await again.contingencies.begin('run-4', 'activation'), { runId: 'run-4', runbook: 'activation', since: later });
    t.same(await again.contingencies.latest(), { runId: 'run-4', runbook: 'activation', since: later });
  });
}
