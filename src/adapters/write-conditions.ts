/**
 * Conditional puts, said the same way by every object store: which condition a put carries,
 * and the WriteConflictError that names the object and the condition when the service
 * refused it. Reverse writes into production rest on this: what changed there since it was
 * read is never overwritten.
 */
import type { PutOptions } from '../core/ports.js';
import { WriteConflictError } from '../core/retry.js';

export type WriteCondition = { ifMatch: string } | { ifNoneMatch: '*' };

/** Undefined for an unconditional put. Both at once can never hold for an existing object, nor for a missing one. */
export function conditionOf(opts: Pick<PutOptions, 'ifMatch' | 'ifNoneMatch'>): WriteCondition | undefined {
  if (opts.ifMatch !== undefined && opts.ifNoneMatch !== undefined) throw new Error('a put takes ifMatch or ifNoneMatch, not both');
  if (opts.ifMatch !== undefined) return { ifMatch: opts.ifMatch };
  if (opts.ifNoneMatch !== undefined) return { ifNoneMatch: opts.ifNoneMatch };
  return undefined;
}

/**
 * How the service refused: `refused` the condition did not hold, `raced` another write to the
 * key was under way (S3's 409), `gone` the object an If-Match named no longer exists.
 */
export type ConflictKind = 'refused' | 'raced' | 'gone';

function writeConflict(object: string, condition: WriteCondition, kind: ConflictKind): WriteConflictError {
  const named = 'ifMatch' in condition ? `If-Match ${condition.ifMatch}` : 'If-None-Match *';
  const why = {
    refused: 'ifMatch' in condition ? 'the object changed since that ETag was read' : 'an object already has the key',
    raced: 'another write to the key was under way',
    gone: 'the object no longer exists',
  }[kind];
  return new WriteConflictError(`${object} was not written: its condition ${named} did not hold (${why})`);
}

/** Reads a service's error: how it refused the condition, or undefined when the error is something else. */
export type RefusalReader = (error: unknown, condition: WriteCondition) => ConflictKind | undefined;

/** Runs the write that carries the condition; the service's refusal of it becomes a WriteConflictError. */
export async function underCondition<T>(object: string, condition: WriteCondition | undefined, refusal: RefusalReader, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const kind = condition && refusal(error, condition);
    if (kind) throw writeConflict(object, condition, kind);
    throw error;
  }
}
