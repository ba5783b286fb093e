import { Readable } from 'node:stream';
import t from 'tap';
import { uploadsContainerCheck } from '../../probes/uploads-container.js';
import { runCheck } from '../../src/core/result.js';
import { buildAdapters } from '../../src/adapters/index.js';
import { blobAlone } from '../helpers/azure-twin.js';

t.test('the uploads container refusing access fails naming it; allowed again, its count and size are read', async (t) => {
  const { config, env, faults } = await blobAlone(t);
  const adapters = buildAdapters(config, env);
  t.teardown(() => adapters.close());
  const store = adapters.objects.azureUploads;
  const run = () => runCheck(uploadsContainerCheck({ store }), { now: () => new Date() }, 20_000);

  const empty = await run();
  t.equal(empty.status, 'warn');
  t.equal(empty.reason, `the uploads container ${store.name} is reachable but empty: has the uploads sync ever run?`);

  for (const [key, size] of [['a.png', 10], ['b/c.jpg', 32]] as const) {
    await store.put(key, Readable.from([Buffer.alloc(size, 1)]), { size });
  }
  const ok = await run();
  t.equal(ok.status, 'pass', ok.reason);
  t.equal(ok.reason, `the uploads container ${store.name} holds 2 objects, 42 bytes`);
  t.same(ok.measurements, { objects: 2, bytes: 42 });

  faults.set('blob', { status: 403 });
  t.teardown(() => faults.set('blob', undefined));
  const refused = await run();
  t.equal(refused.status, 'fail');
  t.match(refused.reason, new RegExp(`^the uploads container ${store.name.replace(/[$/]/g, '\\$&')} cannot be listed: .*not authorized`));

  faults.set('blob', undefined);
  t.equal((await run()).status, 'pass', 'repaired');
});
