import type { Test } from 'tap';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import type { Store } from '../../src/store/types.js';

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public current = new Date('2026-03-02T03:00:00Z')) {}
  now = () => new Date(this.current);
  advance(ms: number) {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** A store in a fresh temp dir, closed when the test ends. */
export function tempStore(t: Test, clock = new ManualClock()): { store: Store; file: string; clock: ManualClock } {
  const file = join(t.testdir(), 'state', 'drsentinel.sqlite');
  const store = openStore(file, { clock });
  t.teardown(() => store.close());
  return { store, file, clock };
}
