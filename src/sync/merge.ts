/**
 * The merge join at the heart of the objects engine: two listings streamed in the same
 * sorted order, walked side by side (the rclone way). Memory is constant.
 */
import type { KeyOrder, ObjectInfo, ObjectStore } from '../core/ports.js';
import { SafetyError, withRetry } from '../core/retry.js';

export type Joined<T> =
  | { kind: 'source-only'; source: T }
  | { kind: 'destination-only'; destination: T }
  | { kind: 'match'; source: T; destination: T };

/** UTF-16 code-unit order (JavaScript's own string order, Blob Storage's listing order). */
export function compareUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * UTF-8 byte order (S3's listing order) without encoding: it equals code-point order, which
 * differs from code-unit order only where a surrogate (an astral character such as an emoji)
 * meets a unit in U+E000–U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      const xSurrogate = x < 0xe000;
      const ySurrogate = y < 0xe000;
      if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    }
    return x - y;
  }
  return a.length - b.length;
}

export function comparatorFor(order: KeyOrder): (a: string, b: string) => number {
  return order === 'utf8' ? compareUtf8 : compareUtf16;
}

/**
 * True for keys whose position may differ between UTF-8 and UTF-16 order: those holding a
 * unit at or above U+D800. Between two keys without such a unit both orders agree, so once
 * these keys are taken out of both listings the rest can be merged safely.
 */
export function isOrderSensitive(key: string): boolean {
  return /[\ud800-\uffff]/.test(key);
}

const LIST_PAGE_SIZE = 1000;

/**
 * A listing that goes backwards (out of order, or a key repeated: a page served twice, a
 * listing restarted) cannot be trusted to have listed everything: what it skipped would look
 * deleted at the source. A safety failure, never retried, and the walk stops before any delete.
 */
export class ListingOrderError extends SafetyError {
  constructor(listing: string, previous: string, key: string) {
    super(`listing of ${listing} went backwards at key "${key}" after "${previous}": it cannot be trusted to be complete; refusing to compare (nothing was deleted)`, { listing, previous, key });
  }
}

/** Passes a listing through, throwing ListingOrderError at the first key not strictly after the one before. */
export async function* assertSorted<T extends { key: string }>(items: AsyncIterable<T>, compare: (a: string, b: string) => number, listing: string): AsyncGenerator<T> {
  let previous: string | undefined;
  for await (const item of items) {
    if (previous !== undefined && compare(previous, item.key) >= 0) throw new ListingOrderError(listing, previous, item.key);
    previous = item.key;
    yield item;
  }
}

export async function* mergeJoin<T extends { key: string }>(
  source: AsyncIterable<T>,
  destination: AsyncIterable<T>,
  compare: (a: string, b: string) => number,
  names: { source: string; destination: string } = { source: 'the source', destination: 'the destination' },
): AsyncGenerator<Joined<T>> {
  const src = assertSorted(source, compare, names.source)[Symbol.asyncIterator]();
  const dst = assertSorted(destination, compare, names.destination)[Symbol.asyncIterator]();
  try {
    let s = await src.next();
    let d = await dst.next();
    while (!s.done || !d.done) {
      if (d.done || (!s.done && compare(s.value.key, d.value.key) < 0)) {
        yield { kind: 'source-only', source: (s as IteratorYieldResult<T>).value };
        s = await src.next();
      } else if (s.done || compare(s.value.key, d.value.key) > 0) {
        yield { kind: 'destination-only', destination: d.value };
        d = await dst.next();
      } else {
        yield { kind: 'match', source: s.value, destination: d.value };
        [s, d] = await Promise.all([src.next(), dst.next()]);
      }
    }
  } finally {
    // A consumer that stops early (an error, an abort) releases both listings.
    await Promise.allSettled([src.return?.(undefined), dst.return?.(undefined)]);
  }
}

/** Splits one listing: order-sensitive keys go to `aside`, the rest flow on in order. */
async function* withoutOrderSensitive<T extends { key: string }>(items: AsyncIterable<T>, aside: (item: T) => Promise<void>): AsyncGenerator<T> {
  for await (const item of items) {
    if (isOrderSensitive(item.key)) await aside(item);
    else yield item;
  }
}

/**
 * Walks two stores key by key and hands every pair to `visit`, awaiting it (back-pressure:
 * nothing accumulates). When the stores sort keys differently, order-sensitive keys are
 * taken out of both merges and settled by a `head` on the other side instead.
 */
export async function walkStores(
  source: ObjectStore,
  destination: ObjectStore,
  visit: (pair: Joined<ObjectInfo>) => Promise<void>,
  { signal, prefix }: { signal?: AbortSignal; prefix?: string } = {},
): Promise<void> {
  // Pages of 1000 (S3's own maximum): Blob would send 5000 with metadata, a needless peak in memory.
  const srcList = source.list({ signal, prefix, pageSize: LIST_PAGE_SIZE });
  const dstList = destination.list({ signal, prefix, pageSize: LIST_PAGE_SIZE });
  const compare = comparatorFor(source.keyOrder);
  const names = { source: source.name, destination: destination.name };
  let joined: AsyncIterable<Joined<ObjectInfo>>;
  if (source.keyOrder === destination.keyOrder) joined = mergeJoin(srcList, dstList, compare, names);
  else {
    const asideSource = async (src: ObjectInfo) => {
      const dst = await withRetry(() => destination.head(src.key, signal), { signal });
      await visit(dst ? { kind: 'match', source: src, destination: dst } : { kind: 'source-only', source: src });
    };
    // Present on both sides: the source side's lookup settles it.
    const asideDestination = async (dst: ObjectInfo) => {
      if (!(await withRetry(() => source.head(dst.key, signal), { signal }))) await visit({ kind: 'destination-only', destination: dst });
    };
    // The keys set aside never reach the merge's own check: each listing is checked whole, in its store's order.
    const whole = (store: ObjectStore, list: AsyncIterable<ObjectInfo>) => assertSorted(list, comparatorFor(store.keyOrder), store.name);
    joined = mergeJoin(
      withoutOrderSensitive(whole(source, srcList), asideSource),
      withoutOrderSensitive(whole(destination, dstList), asideDestination),
      compare, names,
    );
  }
  for await (const pair of joined) {
    signal?.throwIfAborted();
    await visit(pair);
  }
}
