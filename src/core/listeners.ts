/**
 * How many 'abort' listeners a stop signal may hold before Node warns of a leak. The SDKs add
 * one per request in flight and a retry wait one more, so a signal shared by a pool of N
 * requests holds up to 2N; Node's default of 10 sits below a single pool of 16. Sizing the
 * budget to the pools keeps the warning for a real leak, which grows with the work done
 * rather than with the pools: late for a long-lived signal shared by many pools (the sync
 * service's, some 440 listeners), yet it comes.
 */
import { setMaxListeners } from 'node:events';

const NODE_DEFAULT = 10;
const LISTENERS_PER_REQUEST = 2;

/** Lets `signal` serve this many requests in flight at once, from all its pools, without a leak warning. */
export function allowRequests(signal: AbortSignal, requests: number): void {
  setMaxListeners(NODE_DEFAULT + LISTENERS_PER_REQUEST * requests, signal);
}
