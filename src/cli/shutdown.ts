/**
 * One AbortSignal for "the operator asked us to stop" (SIGINT / SIGTERM). Handlers stay
 * installed until disposed, so a second Ctrl-C during a slow shutdown does not kill the
 * process with the default action and orphan the lab's children.
 */
export interface Termination {
  signal: AbortSignal;
  dispose(): void;
}

export function onTermination(onRepeat: (signal: NodeJS.Signals) => void = () => {}): Termination {
  const controller = new AbortController();
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) onRepeat(sig);
    else controller.abort(sig);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Resolves once `signal` is aborted. */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
