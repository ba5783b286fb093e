/**
 * A bounded worker pool. `submit` resolves once the task has a slot (not when it ends),
 * so a producer awaiting it is held back: at most `limit` tasks are ever in flight.
 */
export class Pool {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly idle: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`pool size must be a positive integer, got ${limit}`);
  }

  async submit(task: () => Promise<void>): Promise<void> {
    while (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    void task()
      .catch(() => undefined)
      .finally(() => {
        this.active--;
        this.waiting.shift()?.();
        if (this.active === 0) for (const resolve of this.idle.splice(0)) resolve();
      });
  }

  /** Resolves when no task is in flight. */
  async drain(): Promise<void> {
    if (this.active === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }
}
