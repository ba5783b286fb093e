import t from 'tap';
import type { Message, Notifier } from '../../src/core/ports.js';
import { Communications } from '../../src/runbooks/communications.js';
import type { Store } from '../../src/store/types.js';
import { tempStore } from '../store/temp-store.js';

/** A channel that records what it is given; `down` makes it refuse; `slow` holds each send until `release()`. */
function channel(name: string, o: { down?: boolean; slow?: boolean } = {}): Notifier & { got: Message[]; release(): void } {
  const got: Message[] = [];
  const waiting: Array<() => void> = [];
  return {
    channel: name,
    got,
    release: () => waiting.splice(0).forEach((go) => go()),
    async send(message) {
      if (o.slow) await new Promise<void>((go) => waiting.push(go));
      if (o.down) throw new Error(`${name} is down`);
      got.push(message);
    },
  };
}

const sre = { name: 'chen', roles: ['sre'] as const };
const cto = { name: 'dagny', roles: ['cto'] as const };
const cto2 = { name: 'hank', roles: ['cto'] as const };

async function liveRun(store: Store, id: string, runbook = 'activation') {
  await store.runs.create({ id, runbook, dryRun: false, params: {}, startedBy: 'chen' }, [{ stepId: 'announce', title: 'Announce' }]);
}

const decisions = async (store: Store) => (await store.audit.list({ limit: 100 })).filter((r) => /^message\.(approve|reject|retry)$/.test(r.action)).map((r) => `${r.action} ${r.actor}`);

t.test('an internal message is stored, then sent on every internal channel', async (t) => {
  const { store } = tempStore(t);
  await liveRun(store, 'run-1');
  const email = channel('email');
  const webhook = channel('webhook');
  const comms = new Communications(store, () => [email, webhook], () => []);
  const record = await comms.post('internal-alert', { scenario: 'S3 down', reason: 'region outage', runId: 'run-1', warRoom: { cto: ['Dagny'] } }, sre);
  t.equal(record.status, 'sent');
  t.same(record.channels, ['email', 'webhook']);
  t.match(email.got[0]!.subject, /^\[DR\] Disaster recovery activated: S3 down$/);
  t.match(email.got[0]!.text, /Reason: region outage[\s\S]*War room:\n  cto: Dagny/);
  t.same((await store.messages.forRun('run-1')).map((m) => m.kind), ['internal-alert']);
  t.ok((await store.audit.list({ limit: 10 })).some((r) => r.action === 'message.create'));
  await t.rejects(comms.decide(record.id, 'approve', cto), { name: 'ConflictError', message: /is internal: it went out when it was posted/ });
});

t.test('a message naming a run that does not exist is refused: whether it is a drill cannot be told', async (t) => {
  const { store } = tempStore(t);
  const email = channel('email');
  const comms = new Communications(store, () => [email], () => []);
  await t.rejects(comms.post('internal-alert', { runId: 'no-such-run' }, sre), { name: 'NotFoundError', message: 'runbook run no-such-run does not exist' });
  t.same(email.got, []);
  t.same(await store.messages.list(10), []);
});

t.test('an external message waits for a CTO; only a CTO sends or rejects it', async (t) => {
  const { store } = tempStore(t);
  const statusPage = channel('webhook');
  const comms = new Communications(store, () => [], () => [statusPage]);
  const held = await comms.post('external-initial', { text: 'We expect to be back within 4 hours.' }, sre);
  t.equal(held.status, 'awaiting-approval');
  t.same(statusPage.got, [], 'nothing reached customers');
  await t.rejects(comms.decide(held.id, 'approve', sre), { name: 'ForbiddenError' });
  const sent = await comms.decide(held.id, 'approve', cto);
  t.equal(sent.status, 'sent');
  t.equal(sent.decidedBy, 'dagny');
  t.match(statusPage.got[0]!.text, 'We expect to be back within 4 hours.');
  await t.rejects(comms.decide(held.id, 'reject', cto), { name: 'ConflictError', message: /^message \S+ was sent at \S+ \(approved by dagny\): it can no longer be rejected$/ });
  const again = await comms.decide(held.id, 'approve', cto2);
  t.match(again, { status: 'sent', decidedBy: 'dagny' }, 'a second approval is a replay');
  t.equal(statusPage.got.length, 1, 'and sends nothing');

  const direct = await comms.post('external-progress', { text: 'Half way.' }, cto);
  t.match(direct, { status: 'sent', decidedBy: 'dagny' }, 'a CTO writing it approves it');
  const rejected = await comms.decide((await comms.post('external-progress', {}, sre)).id, 'reject', cto);
  t.equal(rejected.status, 'rejected');
  t.match(await comms.decide(rejected.id, 'reject', cto2), { status: 'rejected', decidedBy: 'dagny' }, 'a repeated reject is a replay');
  await t.rejects(comms.decide(rejected.id, 'approve', cto2), { name: 'ConflictError', message: /was rejected by dagny: that decision stands/ });
  t.equal(statusPage.got.length, 2);
});

t.test('two CTOs approving at the same moment: the status page gets it once', async (t) => {
  const { store } = tempStore(t);
  const statusPage = channel('status-page', { slow: true });
  const comms = new Communications(store, () => [], () => [statusPage]);
  const held = await comms.post('external-initial', {}, sre);
  const both = Promise.all([comms.decide(held.id, 'approve', cto), comms.decide(held.id, 'approve', cto2)]);
  await new Promise((go) => setImmediate(go));
  statusPage.release();
  const [first, second] = await both;
  t.equal(statusPage.got.length, 1, 'delivered exactly once');
  t.equal(first.status, 'sent', 'the winner delivered it');
  t.match(second, { status: 'sending', decidedBy: 'dagny' }, 'the other was answered with the message as it stood');
  t.same(await decisions(store), ['message.approve dagny'], 'one decision recorded');
  t.match(await store.messages.get(held.id), { status: 'sent', channels: ['status-page'] });
});

t.test('approve and reject at the same moment: never "rejected" while it is sent', async (t) => {
  t.test('the approval first: the reject is a conflict', async (t) => {
    const { store } = tempStore(t);
    const statusPage = channel('status-page', { slow: true });
    const comms = new Communications(store, () => [], () => [statusPage]);
    const held = await comms.post('external-initial', {}, sre);
    const outcomes = Promise.allSettled([comms.decide(held.id, 'approve', cto), comms.decide(held.id, 'reject', cto2)]);
    await new Promise((go) => setImmediate(go));
    statusPage.release();
    const [approved, rejected] = await outcomes;
    t.match(approved, { status: 'fulfilled', value: { status: 'sent' } });
    t.match(rejected, { status: 'rejected', reason: { name: 'ConflictError', message: /is being sent \(approved by dagny\): it can no longer be rejected/ } });
    t.equal(statusPage.got.length, 1);
    t.equal((await store.messages.get(held.id))!.status, 'sent');
    t.same(await decisions(store), ['message.approve dagny']);
  });

  t.test('the reject first: nothing is sent', async (t) => {
    const { store } = tempStore(t);
    const statusPage = channel('status-page');
    const comms = new Communications(store, () => [], () => [statusPage]);
    const held = await comms.post('external-initial', {}, sre);
    const [rejected, approved] = await Promise.allSettled([comms.decide(held.id, 'reject', cto2), comms.decide(held.id, 'approve', cto)]);
    t.match(rejected, { status: 'fulfilled', value: { status: 'rejected', decidedBy: 'hank' } });
    t.match(approved, { status: 'rejected', reason: { name: 'ConflictError', message: /was rejected by hank: that decision stands/ } });
    t.same(statusPage.got, []);
    t.same(await decisions(store), ['message.reject hank']);
  });
});

t.test('four eyes: nobody approves an external message they wrote', async (t) => {
  t.test('activation.fourEyes: true', async (t) => {
    const { store } = tempStore(t);
    const statusPage = channel('status-page');
    const comms = new Communications(store, () => [], () => [statusPage], { fourEyes: true });
    const own = await comms.post('external-progress', { text: 'Half way.' }, cto);
    t.match(own, { status: 'awaiting-approval' }, "a CTO's own message waits for another CTO");
    t.notOk(own.decidedBy);
    await t.rejects(comms.decide(own.id, 'approve', cto), { name: 'ForbiddenError', message: `four eyes (activation.fourEyes): dagny wrote message ${own.id}, so another cto approves it` });
    t.same(statusPage.got, [], 'nothing sent');
    t.equal((await store.messages.get(own.id))!.status, 'awaiting-approval', 'still held');
    t.match(await comms.decide(own.id, 'approve', cto2), { status: 'sent', decidedBy: 'hank' });
    const withdrawn = await comms.post('external-progress', {}, cto);
    t.match(await comms.decide(withdrawn.id, 'reject', cto), { status: 'rejected' }, 'withdrawing your own message is allowed');
    t.equal(statusPage.got.length, 1);
  });

  t.test('activation.fourEyes: false (the default)', async (t) => {
    const { store } = tempStore(t);
    const statusPage = channel('status-page');
    const comms = new Communications(store, () => [], () => [statusPage]);
    t.match(await comms.post('external-progress', {}, cto), { status: 'sent', decidedBy: 'dagny' }, 'a CTO writing it approves it');
    const held = await comms.post('external-progress', {}, { name: 'dagny', roles: ['sre', 'cto'] as const });
    t.match(held, { status: 'sent' });
    const bySre = await comms.post('external-return', {}, { name: 'chen', roles: ['sre'] as const });
    t.match(await comms.decide(bySre.id, 'approve', { name: 'chen', roles: ['sre', 'cto'] as const }), { status: 'sent', decidedBy: 'chen' }, 'its author may approve it');
  });
});

t.test('a message a restart caught in `sending` is not sent again unless a person retries it', async (t) => {
  const { store } = tempStore(t);
  const statusPage = channel('status-page');
  const email = channel('email');
  const comms = new Communications(store, () => [email], () => [statusPage]);
  // What a crash in the middle of a delivery leaves behind.
  const cut = await store.messages.create({ kind: 'external-initial', audience: 'external', status: 'sending', subject: 's', body: 'b', createdBy: 'chen', decidedBy: 'dagny' });
  const held = await comms.post('external-progress', {}, sre);
  t.equal(await comms.markInterrupted(), 1, 'found at start');
  t.equal(await comms.markInterrupted(), 0, 'noted once');
  t.match(await store.messages.get(cut.id), { status: 'sending', error: /^the service stopped while delivering this message: it may or may not have reached its channels/ });
  t.equal((await store.messages.get(held.id))!.status, 'awaiting-approval', 'a held message is left alone');
  t.match(await comms.decide(cut.id, 'approve', cto2), { status: 'sending' }, 'an approval replays, it does not send');
  t.same(statusPage.got, []);

  await t.rejects(comms.retry(cut.id, sre), { name: 'ForbiddenError', message: /external messages are sent again by the cto/ });
  t.match(await comms.retry(cut.id, cto), { status: 'sent', channels: ['status-page'] }, 'a CTO sends it again explicitly');
  t.notOk((await store.messages.get(cut.id))!.error);
  t.equal(statusPage.got.length, 1);
  await t.rejects(comms.retry(cut.id, cto), { name: 'ConflictError', message: `message ${cut.id} is sent: only a failed message, or one whose delivery a restart interrupted, is sent again` });
  await t.rejects(comms.retry(held.id, cto), { name: 'ConflictError', message: /is awaiting-approval/ });
  t.same(await decisions(store), ['message.retry dagny']);
});

t.test('a failed message is sent again on request; one being delivered is not', async (t) => {
  const { store } = tempStore(t);
  let down = true;
  const email = channel('email', { slow: true });
  const flaky: Notifier = { channel: 'email', send: async (m, signal) => { if (down) throw new Error('email is down'); await email.send(m, signal); } };
  const comms = new Communications(store, () => [flaky], () => []);
  const failed = await comms.post('status-update', { text: 'Scaling up.' }, sre);
  t.equal(failed.status, 'failed');
  down = false;
  const retrying = comms.retry(failed.id, sre);
  await new Promise((go) => setImmediate(go));
  await t.rejects(comms.retry(failed.id, sre), { name: 'ConflictError', message: /is sending/ }, 'a delivery in progress is not doubled');
  email.release();
  t.match(await retrying, { status: 'sent', channels: ['email'] });
  t.equal(email.got.length, 1);
});

t.test('a delivery that fails everywhere is kept as failed, with why', async (t) => {
  const { store } = tempStore(t);
  const comms = new Communications(store, () => [channel('email', { down: true })], () => []);
  const record = await comms.post('status-update', { text: 'Scaling up.' }, sre);
  t.equal(record.status, 'failed');
  t.match(record.error, 'email: email is down');
  const none = await new Communications(store, () => [], () => []).post('status-update', { text: 'x' }, sre);
  t.match(none.error, 'no internal channel is configured (notify.email or notify.webhook)');
});
