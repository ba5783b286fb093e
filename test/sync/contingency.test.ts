/**
 * The contingency holds the forward syncs: a scheduled tick is skipped with a log line, a run
 * started by hand is refused naming the run that holds it, and only that run's final sync goes
 * through. Reverse runs (the rollback's) are never held. No cloud is touched: the guard comes first.
 */
import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import type { Adapters } from '../../src/adapters/index.js';
import { loadConfig } from '../../src/config/load.js';
import { ConflictError } from '../../src/core/errors.js';
import { createMetrics } from '../../src/metrics/index.js';
import { SyncService } from '../../src/sync/service.js';
import { tempStore } from '../store/temp-store.js';

const { config } = loadConfig(fileURLToPath(new URL('../fixtures/config/minimal.yaml', import.meta.url)), { DRS_TEST_BLOB: 'UseDevelopmentStorage=true', DRS_TEST_COSMOS_KEY: 'x' });

function setUp(t: Test) {
  const { store, clock } = tempStore(t);
  const logged: string[] = [];
  // Every adapter call would throw: the guard must refuse before any of them.
  const adapters = new Proxy({}, { get: () => { throw new Error('an adapter was reached'); } }) as Adapters;
  const syncs = new SyncService({ config, adapters, store, metrics: createMetrics(), clock, log: (_l, msg) => void logged.push(msg) });
  t.teardown(() => syncs.close());
  return { store, syncs, logged };
}

t.test('outside a contingency nothing is held', async (t) => {
  const { store } = setUp(t);
  t.equal(await store.contingencies.current(), undefined);
});

t.test('a scheduled tick in contingency is skipped with a log line', async (t) => {
  const { store, syncs, logged } = setUp(t);
  await store.contingencies.begin('run-1', 'activation');
  t.same(await syncs.runAll(), [], 'no run started');
  t.match(logged, [/^forward syncs skipped: in contingency since .* \(run run-1\); they resume after the rollback's DNS cutback$/]);
  t.same(await store.syncs.list(10), [], 'nothing recorded');
});

t.test('a forward run by hand is refused, naming the run that holds the contingency', async (t) => {
  const { store, syncs } = setUp(t);
  await store.contingencies.begin('run-1', 'game-day');
  for (const flow of ['site', 'uploads', 'metadata'] as const) {
    const refused: unknown = await syncs.start(flow).catch((error: unknown) => error);
    t.ok(refused instanceof ConflictError, flow);
    t.match((refused as Error).message, new RegExp(`in contingency since .* \\(run run-1, game-day\\): a forward ${flow} sync would undo what the standby took in`));
  }
  await t.rejects(syncs.startMany(['site', 'uploads']), ConflictError);
  await t.rejects(syncs.start('uploads', { finalSyncOf: 'another-run' }), ConflictError, 'another run\'s final sync is held too');
  t.same(await store.syncs.list(10), [], 'nothing recorded');
});

t.test('the contingency ends once, and the forward syncs are free again', async (t) => {
  const { store } = setUp(t);
  await store.contingencies.begin('run-1', 'activation');
  await store.contingencies.begin('run-1', 'activation');
  const ended = await store.contingencies.end('the DNS cutback of run run-2');
  t.equal(ended?.runId, 'run-1');
  t.equal(ended?.endedBy, 'the DNS cutback of run run-2');
  t.equal(await store.contingencies.end('again'), undefined, 'ending twice changes nothing');
  t.equal(await store.contingencies.current(), undefined);
  t.equal((await store.contingencies.latest())?.endedBy, 'the DNS cutback of run run-2', 'the ended one is still known (the rollback reads its start)');
});
