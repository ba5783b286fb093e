import t from 'tap';
import { openStore } from '../../src/store/index.js';
import { tempStore } from './temp-store.js';

t.test('the last start of each job is remembered across reopening', async (t) => {
  const { store, file } = tempStore(t);
  t.equal(store.jobs.lastRun('sync'), undefined);
  store.jobs.recordRun('sync', new Date('2026-03-01T03:00:00Z'));
  store.jobs.recordRun('sync', new Date('2026-03-02T03:00:00Z'));
  store.jobs.recordRun('monthly', new Date('2026-03-02T09:00:00Z'));
  const again = openStore(file);
  t.teardown(() => again.close());
  t.same(again.jobs.lastRun('sync'), new Date('2026-03-02T03:00:00Z'));
  t.same(again.jobs.lastRun('monthly'), new Date('2026-03-02T09:00:00Z'));
});
