/**
 * R12: the uploads container at the standby is reachable; how many objects it holds and how
 * many bytes, read by listing it (memory stays constant: only the totals are kept).
 */
import type { ObjectStore } from '../src/core/ports.js';
import { describeError, fail, pass, warn, type Check } from '../src/core/result.js';

export function uploadsContainerCheck(opts: { store: ObjectStore }): Check {
  const { store } = opts;
  return {
    id: 'uploads-container',
    title: `the uploads container ${store.name} is reachable`,
    async run(ctx) {
      let objects = 0;
      let bytes = 0;
      let newest: { key: string; lastModified: Date } | undefined;
      try {
        for await (const item of store.list({ signal: ctx.signal })) {
          objects++;
          bytes += item.size;
          if (!newest || item.lastModified > newest.lastModified) newest = { key: item.key, lastModified: item.lastModified };
        }
      } catch (err) {
        return fail(`the uploads container ${store.name} cannot be listed: ${describeError(err)}`, { container: store.name, listedBeforeTheError: objects });
      }
      const evidence = { container: store.name, objects, bytes, newest: newest && { key: newest.key, lastModified: newest.lastModified.toISOString() } };
      const measurements = { objects, bytes };
      if (objects === 0) return warn(`the uploads container ${store.name} is reachable but empty: has the uploads sync ever run?`, evidence, measurements);
      return pass(`the uploads container ${store.name} holds ${objects} object${objects === 1 ? '' : 's'}, ${bytes} bytes`, evidence, measurements);
    },
  };
}
