/**
 * A sync that dies mid-run, then is run again: it converges without recopying what landed.
 * The death is a freeze of the destination: from some point on no write of the first run ever
 * returns, and that run is never awaited, so nothing after that point of it runs (no cleanup,
 * no deletes), as with SIGKILL. What a rerun finds is what the stores held at that point.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syncObjects } from '../../src/sync/objects.js';
import { rerunConverges } from '../helpers/rerun-after-crash.js';
import { MemoryObjectStore } from '../helpers/memory-object-store.js';

t.test('killed mid-sync, then a rerun converges', async (t) => {
  const source = new MemoryObjectStore('s3://uploads', 'utf8', { listsMetadata: false });
  const destination = new MemoryObjectStore('blob://uploads', 'utf16');
  source.add('a-big/scan.bin', randomBytes(20 * 1024 * 1024 + 4321), { contentType: 'image/tiff' });
  const keys = Array.from({ length: 300 }, (_, i) => `b-small/${String(i).padStart(3, '0')}.txt`);
  for (const key of keys) source.add(key, randomBytes(2048));
  const total = keys.length + 1;

  // The dying run's temp files (the engine's work dir) go where this test can remove them: a
  // killed run cleans up nothing. The engine asks for its temp dir as it starts.
  const runTmp = await mkdtemp(join(tmpdir(), 'drsentinel-crash-'));
  t.teardown(() => rm(runTmp, { recursive: true, force: true }));
  let landedBeforeKill = 0;
  let killed: () => void;
  const kill = new Promise<void>((resolve) => (killed = resolve));
  const tmp = process.env.TMPDIR;
  process.env.TMPDIR = runTmp;
  let finished = false;
  const dying = syncObjects({
    flow: 'crash', mode: 'mirror', source, destination, transfers: 4, checkers: 4,
    // Killed once some objects have landed, well before all of them.
    onProgress: (p) => {
      if (p.copied < 40 || landedBeforeKill > 0) return;
      landedBeforeKill = p.copied;
      destination.faults.stall('put', { times: Infinity });
      destination.faults.stall('delete', { times: Infinity });
      killed();
    },
  }).finally(() => (finished = true));
  if (tmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmp;
  await Promise.race([kill, dying]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.notOk(finished, 'the first run never ended');
  t.ok(landedBeforeKill >= 40 && landedBeforeKill < total, `killed after ${landedBeforeKill} of ${total} objects`);
  t.ok((await readdir(runTmp)).length > 0, 'the killed sync left its work dir behind (removed by this test)');
  destination.faults.clear();

  await rerunConverges(t, { source, destination, total, landedBeforeKill });
});
