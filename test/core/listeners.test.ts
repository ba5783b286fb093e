/**
 * A stop signal shared by a pool of requests holds an 'abort' listener per request and retry
 * wait; Node must not take a full pool for a leak.
 */
import t from 'tap';
import { allowRequests } from '../../src/core/listeners.js';
import { pass, runCheck } from '../../src/core/result.js';
import { watchLeakWarnings } from '../helpers/warnings.js';

/** Adds two listeners per request, as an SDK request and its retry wait do; returns the removers. */
function listen(signal: AbortSignal, requests: number): Array<() => void> {
  return Array.from({ length: requests * 2 }, () => {
    const onAbort = () => {};
    signal.addEventListener('abort', onAbort);
    return () => signal.removeEventListener('abort', onAbort);
  });
}

const nextTick = () => new Promise((resolve) => setImmediate(resolve));

t.test('pools of 16 on one signal: no warning; beyond the pools, Node still warns', async (t) => {
  const warnings = watchLeakWarnings(t);
  const signal = new AbortController().signal;
  allowRequests(signal, 16 + 16);
  const removers = listen(signal, 32);
  await nextTick();
  t.same(warnings, [], 'two full pools are no leak');
  listen(signal, 10);
  await nextTick();
  t.equal(warnings.length, 1, 'listeners beyond every pool are still reported');
  for (const remove of removers) remove();
});

t.test('a check keeping its pool in flight on its signal raises no warning', async (t) => {
  const warnings = watchLeakWarnings(t);
  const check = {
    id: 'pool', title: 'a pool of 16',
    async run(ctx: { signal: AbortSignal }) {
      const removers = listen(ctx.signal, 16);
      await nextTick();
      for (const remove of removers) remove();
      return pass('done');
    },
  };
  const result = await runCheck(check, { now: () => new Date() }, 5000, 16);
  t.equal(result.status, 'pass');
  await nextTick();
  t.same(warnings, []);
});
