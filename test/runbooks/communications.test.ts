import t from 'tap';
import type { Message, Notifier } from '../../src/core/ports.js';
import { Communications } from '../../src/runbooks/communications.js';
import { tempStore } from '../store/temp-store.js';

/** A channel that records what it is given; `down` makes it refuse. */
function channel(name: string, down = false): Notifier & { got: Message[] } {
  const got: Message[] = [];
  return {
    channel: name,
    got,
    async send(message) {
      if (down) throw new Error(`${name} is down`);
      got.push(message);
    },
  };
}

const sre = { name: 'chen', roles: ['sre'] as const };
const cto = { name: 'dagny', roles: ['cto'] as const };

t.test('an internal message is stored, then sent on every internal channel', async (t) => {
  const { store } = tempStore(t);
  const email = channel('email');
  const webhook = channel('webhook');
  const comms = new Communications(store, () => [email, webhook], () => []);
  const record = await comms.post('internal-alert', { scenario: 'S3 down', reason: 'region outage', runId: 'run-1', warRoom: { cto: ['Dagny'] } }, sre);
  t.equal(record.status, 'sent');
  t.same(record.channels, ['email', 'webhook']);
  t.match(email.got[0]!.subject, '[DR] Disaster recovery activated: S3 down');
  t.match(email.got[0]!.text, /Reason: region outage[\s\S]*War room:\n  cto: Dagny/);
  t.same(store.messages.forRun('run-1').map((m) => m.kind), ['internal-alert']);
  t.ok(store.audit.list({ limit: 10 }).some((r) => r.action === 'message.create'));
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
  await t.rejects(comms.decide(held.id, 'reject', cto), { name: 'ConflictError' }, 'a decision is final');

  const direct = await comms.post('external-progress', { text: 'Half way.' }, cto);
  t.equal(direct.status, 'sent', 'a CTO writing it approves it');
  const rejected = await comms.decide((await comms.post('external-progress', {}, sre)).id, 'reject', cto);
  t.equal(rejected.status, 'rejected');
  t.equal(statusPage.got.length, 2);
});

t.test('a delivery that fails everywhere is kept as failed, with why', async (t) => {
  const { store } = tempStore(t);
  const comms = new Communications(store, () => [channel('email', true)], () => []);
  const record = await comms.post('status-update', { text: 'Scaling up.' }, sre);
  t.equal(record.status, 'failed');
  t.match(record.error, 'email: email is down');
  const none = await new Communications(store, () => [], () => []).post('status-update', { text: 'x' }, sre);
  t.match(none.error, 'no internal channel is configured (notify.email or notify.webhook)');
});
