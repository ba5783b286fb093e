/**
 * A lab twin for one test file: fresh temp state dir, free ports, stopped and removed at the
 * end of the test that asked for it. Safe with several test files running at once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab, type Lab } from '../../lab/index.js';

interface Teardown {
  teardown(fn: () => unknown): void;
}

export async function withLab(t: Teardown, opts: { empty?: boolean } = {}): Promise<Lab> {
  const stateDir = await mkdtemp(join(tmpdir(), 'drsentinel-lab-'));
  let lab: Lab;
  try {
    lab = await startLab({ stateDir, empty: opts.empty });
  } catch (err) {
    await rm(stateDir, { recursive: true, force: true });
    throw err;
  }
  t.teardown(async () => {
    await lab.stop();
    await rm(stateDir, { recursive: true, force: true });
  });
  return lab;
}
