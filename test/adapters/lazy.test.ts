import t from 'tap';
import { LazyDocumentTable } from '../../src/adapters/lazy.js';
import type { Item } from '../../src/core/items.js';
import type { DocumentTable } from '../../src/core/ports.js';

const SCHEMA = { hashKey: { name: 'id', type: 'S' as const } };
const ITEMS: Item[] = [{ id: { S: 'a' } }, { id: { S: 'b' } }];

function loaderOf(table: DocumentTable) {
  const calls = { n: 0 };
  return { calls, load: async () => (calls.n++, table) };
}

const inMemory: DocumentTable = {
  name: 'memory://t',
  keySchema: async () => SCHEMA,
  async *scan() {
    yield* ITEMS;
  },
  bulkWrite: async (ops) => ({ written: ops.length, deleted: 0, failed: [] }),
  count: async () => ITEMS.length,
  get: async (key) => ITEMS.find((i) => (i.id as { S: string }).S === (key.id as { S: string }).S),
};

t.test('the implementation is loaded on the first call, not before, and every call reaches it', async (t) => {
  const { calls, load } = loaderOf(inMemory);
  const lazy = new LazyDocumentTable('memory://t', load);
  t.equal(lazy.name, 'memory://t');
  t.equal(calls.n, 0, 'building the facade loads nothing');
  t.same(await lazy.keySchema(), SCHEMA);
  t.equal(await lazy.count(), 2);
  const scanned: Item[] = [];
  for await (const item of lazy.scan()) scanned.push(item);
  t.same(scanned, ITEMS);
  t.same(await lazy.get({ id: { S: 'b' } }), ITEMS[1]);
  t.same(await lazy.bulkWrite([{ type: 'put', item: ITEMS[0]! }]), { written: 1, deleted: 0, failed: [] });
  t.equal(calls.n, 5, 'each call asks the loader, which memoizes on its side');
});

t.test('a load that fails fails the call with its reason', async (t) => {
  const lazy = new LazyDocumentTable('memory://t', async () => {
    throw new Error('cannot load the Cosmos SDK');
  });
  await t.rejects(lazy.count(), /cannot load the Cosmos SDK/);
});
