/** Timers driven by a ManualClock, for the scheduler's tests. */
import type { Timers } from '../../src/scheduler/index.js';
import type { ManualClock } from '../store/temp-store.js';

/** Timers on the manual clock: advancing fires what is due, in time order, moving the clock. */
export class FakeTimers implements Timers {
  private pending = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  constructor(private readonly clock: ManualClock) {}
  setTimeout(fn: () => void, ms: number) {
    const id = this.nextId++;
    this.pending.set(id, { at: this.clock.now().getTime() + ms, fn });
    return id;
  }
  clearTimeout(id: unknown) {
    this.pending.delete(id as number);
  }
  get count() {
    return this.pending.size;
  }
  async advanceTo(iso: string) {
    const until = new Date(iso).getTime();
    for (;;) {
      const due = [...this.pending.entries()].filter(([, p]) => p.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.pending.delete(due[0]);
      this.clock.current = new Date(due[1].at);
      due[1].fn();
      await settle();
    }
    this.clock.current = new Date(until);
    await settle();
  }
}

export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

