/**
 * Azure Monitor receives the application's telemetry and it looks healthy (R12): at least one
 * HTTP request logged in the window, and the share answered 4xx/5xx no more than allowed. An
 * empty window fails: silence means the logs are not arriving, not that all is well.
 */
import type { Check } from '../src/core/result.js';
import { describeError, fail, pass } from '../src/core/result.js';
import type { AppLogs } from '../src/core/ports.js';

export interface AppLogsCheckOptions {
  /** The window, in minutes back from now. */
  since: number;
  /** Largest share (0..1) of requests answered 4xx/5xx. */
  maxErrorRatio: number;
}

const percent = (ratio: number) => `${Math.round(ratio * 1000) / 10} %`;
const isError = (code: string) => /^[45]\d\d$/.test(code);

export function appLogsCheck(logs: AppLogs, opts: AppLogsCheckOptions): Check {
  const window = `the last ${opts.since} minute${opts.since === 1 ? '' : 's'}`;
  return {
    id: 'app-logs',
    title: `Azure Monitor receives the application's requests, with at most ${percent(opts.maxErrorRatio)} answered 4xx/5xx`,
    async run(ctx) {
      let byStatus: Record<string, number>;
      try {
        byStatus = await logs.requestStatuses(new Date(ctx.now().getTime() - opts.since * 60_000), ctx.signal);
      } catch (err) {
        return fail(`the application logs could not be queried: ${describeError(err)}`, { windowMinutes: opts.since });
      }
      const counts = Object.entries(byStatus);
      const total = counts.reduce((sum, [, n]) => sum + n, 0);
      const errors = counts.reduce((sum, [code, n]) => sum + (isError(code) ? n : 0), 0);
      const ok = byStatus['200'] ?? 0;
      const ratio = total === 0 ? 0 : errors / total;
      const evidence = { windowMinutes: opts.since, byStatus };
      const measurements = { requests: total, errors, errorRatio: ratio };
      if (total === 0) return fail(`Azure Monitor logged no HTTP request in ${window}: the application's telemetry is not arriving`, evidence, measurements);
      const summary = `${errors} of ${total} requests in ${window} answered 4xx/5xx (${percent(ratio)})`;
      if (ratio > opts.maxErrorRatio) return fail(`${summary}, more than the ${percent(opts.maxErrorRatio)} allowed`, evidence, measurements);
      if (ok * 2 < total) {
        const others = counts.filter(([code]) => code !== '200').map(([code, n]) => `${n} × ${code}`).join(', ');
        return fail(`only ${ok} of ${total} requests in ${window} answered 200 (the others: ${others}); R12 expects mostly 200`, evidence, measurements);
      }
      return pass(`Azure Monitor logged ${total} requests in ${window}: ${ok} answered 200, ${errors} (${percent(ratio)}) answered 4xx/5xx`, evidence, measurements);
    },
  };
}
