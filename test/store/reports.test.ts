import t from 'tap';
import { tempStore } from './temp-store.js';

t.test('reports are saved whole and listed newest first without their body', async (t) => {
  const { store, clock } = tempStore(t);
  const march = store.reports.save({ kind: 'monthly', period: '2026-03', format: 'html', body: '<h1>March</h1>' });
  clock.advance(1000);
  const rollback = store.reports.save({ kind: 'post-rollback', period: '2026-03-05', format: 'md', body: '# Rollback' });
  t.match(march.id, /^[0-9a-f-]{36}$/);
  t.equal(march.createdAt, '2026-03-02T03:00:00.000Z');
  t.same(store.reports.get(march.id), march);
  t.equal(store.reports.get('nope'), undefined);
  t.same(store.reports.list(10), [rollback, march].map(({ body: _body, ...meta }) => meta));
  t.same(store.reports.list(10, 'monthly').map((r) => r.id), [march.id]);
  t.same(store.reports.list(1).map((r) => r.id), [rollback.id]);
});
