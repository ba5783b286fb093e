/** Node's "possible EventTarget memory leak" warnings emitted while a test runs. */
interface Teardown {
  teardown(fn: () => unknown): void;
}

export function watchLeakWarnings(t: Teardown): string[] {
  const warnings: string[] = [];
  const onWarning = (w: Error) => void (w.name === 'MaxListenersExceededWarning' && warnings.push(w.message));
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  return warnings;
}
