/**
 * The Notifier contract (src/core/ports.ts): one suite, every channel passes it. A message
 * arrives as it was sent; a receiver that refuses it, or cannot be reached, is an error that
 * names the message and never the channel's secret; an aborted send ends.
 */
import type { Test } from 'tap';
import type { Message, Notifier } from '../../src/core/ports.js';

/** A channel over a live receiver of the lab's, fresh for each case. */
export interface NotifierHarness {
  notifier: Notifier;
  /** The password or token the channel holds: it must appear in no error. */
  secret: string;
  /** What the receiver took in, oldest first. */
  received(): Array<Pick<Message, 'kind' | 'subject' | 'text'>>;
  /** The receiver refuses every message until `accept`. */
  refuse(): void;
  accept(): void;
  /** A notifier of the same channel aimed where nothing listens. */
  unreachable(): Promise<Notifier>;
}

const MESSAGE: Message = {
  kind: 'sync-failure',
  subject: 'uploads sync failed 2 days in a row — Übersicht',
  text: 'The uploads sync failed.\nFailure class: throttling',
  data: { flow: 'uploads' },
};

export function notifierContract(t: Test, make: (t: Test) => Promise<NotifierHarness>): void {
  t.test('a message arrives with its kind, subject and text', async (t) => {
    const h = await make(t);
    await h.notifier.send(MESSAGE);
    const [arrived] = h.received();
    t.equal(arrived?.kind, MESSAGE.kind);
    t.equal(arrived?.subject, MESSAGE.subject);
    t.equal(arrived?.text.trimEnd(), MESSAGE.text);
  });

  t.test('a receiver that refuses: an error naming the message, without the secret; nothing arrives; later messages go', async (t) => {
    const h = await make(t);
    h.refuse();
    const error = await h.notifier.send(MESSAGE).then(() => undefined, (e: Error) => e);
    t.ok(error, 'the send fails');
    t.match(error?.message, /sync-failure/, 'the error names the message');
    t.notOk(error?.message.includes(h.secret), 'the secret is not in the error');
    t.same(h.received(), []);
    h.accept();
    await h.notifier.send(MESSAGE);
    t.equal(h.received().length, 1);
  });

  t.test('a receiver that cannot be reached: an error naming the message, without the secret', async (t) => {
    const h = await make(t);
    const error = await (await h.unreachable()).send(MESSAGE).then(() => undefined, (e: Error) => e);
    t.ok(error, 'the send fails');
    t.match(error?.message, /sync-failure/);
    t.notOk(error?.message.includes(h.secret));
  });

  // Its work abandoned, a send must not fail later where nobody listens: an unhandled rejection ends the process.
  t.test('a send aborted before it starts ends with an error, and nothing is sent', async (t) => {
    const h = await make(t);
    const abort = new AbortController();
    abort.abort(new Error('the run was stopped'));
    await t.rejects(h.notifier.send(MESSAGE, abort.signal), { message: /the run was stopped/ });
    await h.notifier.send({ ...MESSAGE, kind: 'sync-recovery' });
    t.same(h.received().map((m) => m.kind), ['sync-recovery'], 'only the message sent after it arrived');
  });
}
