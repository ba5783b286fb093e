/**
 * The brakes on a listing walk, shared by the object stores. A sync mirrors what the source
 * lists: a listing that ends early, or pages that skip back, read as objects gone and turn
 * into deletes on the other side. So a page that cannot be the honest continuation of the one
 * before stops the walk with a SafetyError instead of being taken as the end.
 */
import type { KeyOrder } from '../core/ports.js';
import { SafetyError } from '../core/retry.js';

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class ListingWalk {
  readonly #compare: (a: string, b: string) => number;
  #objects = 0;
  #last: string | undefined;
  #token: string | undefined;

  constructor(private readonly store: string, order: KeyOrder) {
    this.#compare = order === 'utf8' ? compareUtf8 : compareUtf16;
  }

  /**
   * Checks a whole page before any of it is used: every key strictly after the one before it,
   * across pages too (a key again, or an earlier one, means the service lost its place).
   */
  page(keys: readonly string[]): void {
    for (const key of keys) {
      const last = this.#last;
      if (last !== undefined && this.#compare(key, last) <= 0) {
        throw this.refuse(`went backwards (key ${JSON.stringify(key)} came after ${JSON.stringify(last)})`);
      }
      this.#last = key;
      this.#objects++;
    }
  }

  /** Where the next page starts; undefined ends the walk, and only a page that says it is the last may end it. */
  next(more: boolean, token: string | undefined): string | undefined {
    if (!more) return undefined;
    if (!token) throw this.refuse('was truncated without a continuation token');
    if (token === this.#token) throw this.refuse('answered the continuation token it was given, which would list the same page forever');
    this.#token = token;
    return token;
  }

  /** The error for a page the adapter found wrong for reasons of its own service. */
  refuse(problem: string): SafetyError {
    const lastKey = this.#last === undefined ? 'none' : JSON.stringify(this.#last);
    return new SafetyError(
      `the listing of ${this.store} ${problem} after ${this.#objects} objects (last key ${lastKey}): refusing to treat it as complete`,
      { store: this.store, objects: this.#objects, lastKey: this.#last },
    );
  }
}
