/**
 * withIdleTimeout: a source that stops sending fails the read with a 'timeout' within the
 * bound; a slow reader, a steady source and a source's own error are left as they are.
 */
import t from 'tap';
import { PassThrough, Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { withIdleTimeout } from '../../src/adapters/stall.js';
import { classifyFailure } from '../../src/core/retry.js';

async function drain(body: Readable, pauseMs = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) {
    chunks.push(chunk as Buffer);
    if (pauseMs) await sleep(pauseMs);
  }
  return Buffer.concat(chunks);
}

t.test('a source that stops sending: a timeout, and the source is released', async (t) => {
  const source = new PassThrough();
  source.write('first bytes, then nothing');
  const started = Date.now();
  const error = await drain(withIdleTimeout(source, 200, 'blob://c/k')).then(() => undefined, (e: unknown) => e);
  t.match(error, { code: 'TimeoutError', message: 'no bytes for 0.2 s from blob://c/k' });
  t.equal(classifyFailure(error), 'timeout');
  t.ok(Date.now() - started < 2_000, 'within the bound, not hanging');
  t.ok(source.destroyed, 'the stalled source is destroyed (its connection released)');
});

t.test('a reader slower than the bound is not a stall', async (t) => {
  // Chunks larger than the stream's buffer: the source is held back while the reader dawdles.
  const chunks = Array.from({ length: 4 }, (_, i) => Buffer.alloc(64 * 1024, i));
  const read = await drain(withIdleTimeout(Readable.from(chunks, { objectMode: false }), 100, 'slow reader'), 250);
  t.same(read, Buffer.concat(chunks), 'every byte, though each chunk waited longer than the bound');
});

t.test('a source that keeps sending within the bound passes whole', async (t) => {
  const chunks = Array.from({ length: 6 }, (_, i) => Buffer.from(`chunk ${i};`));
  const source = Readable.from((async function* () {
    for (const chunk of chunks) {
      await sleep(60);
      yield chunk;
    }
  })());
  t.same(await drain(withIdleTimeout(source, 150, 'steady')), Buffer.concat(chunks), 'each gap under the bound, the whole longer than it');
});

t.test("the source's own error comes through unchanged", async (t) => {
  const source = new PassThrough();
  const body = withIdleTimeout(source, 1_000, 'failing');
  setImmediate(() => source.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })));
  await t.rejects(drain(body), { code: 'ECONNRESET' });
});

t.test('an abandoned read, destroyed by its reader, leaves no timer behind', async (t) => {
  const source = new PassThrough();
  const body = withIdleTimeout(source, 100, 'abandoned');
  body.resume();
  body.destroy();
  await sleep(200);
  t.ok(source.destroyed);
  t.equal(body.errored, null, 'no timeout raised after the reader left');
});
