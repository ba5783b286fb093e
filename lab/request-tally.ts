/**
 * Requests the data-plane fronts (S3, Blob, Cosmos) have served, by service and method. The
 * benchmark reads it across a tool's run: requests per object is what a tool costs the stores,
 * on any network, whatever its language.
 */
export class RequestTally {
  readonly #counts = new Map<string, number>();

  count(service: string, method: string): void {
    const key = `${service} ${method}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  /** Counts so far, keyed "service METHOD"; take the difference across a run. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }
}

/** What was served between two snapshots, keyed as they are; keys with no new request are left out. */
export function tallySince(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const served: Record<string, number> = {};
  for (const [key, n] of Object.entries(after)) {
    const delta = n - (before[key] ?? 0);
    if (delta > 0) served[key] = delta;
  }
  return served;
}
