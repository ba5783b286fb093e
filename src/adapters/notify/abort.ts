/**
 * Settles with `work`, or rejects as soon as `signal` aborts. The work itself is left to finish
 * or fail; once it is no longer awaited, its failure is swallowed here, since an unhandled
 * rejection would end the process.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  const abandoned = () => void work.catch(() => undefined);
  if (signal.aborted) {
    abandoned();
    return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      abandoned();
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
