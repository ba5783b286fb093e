/**
 * The standby API through the Application Gateway (R10): `GET <gateway url>/health` answers
 * 200 with a healthy status. This is what a user's request goes through, so a 502 here (no
 * healthy instance, gateway stopped) is the outage an activation must not leave behind.
 */
import type { Check } from '../src/core/result.js';
import { describeError, fail, pass } from '../src/core/result.js';

export interface ApiHealthOptions {
  /** The API's public base URL through the gateway, e.g. https://dr.example.com. */
  url: string;
  /** Path of the health endpoint (default /health). */
  path?: string;
}

const HEALTHY = new Set(['ok', 'healthy', 'pass', 'up']);
const EXCERPT_CHARS = 200;

function healthStatus(body: string): string | undefined {
  try {
    const status = (JSON.parse(body) as { status?: unknown }).status;
    return typeof status === 'string' ? status : undefined;
  } catch {
    return undefined;
  }
}

export function apiHealthCheck(opts: ApiHealthOptions): Check {
  const target = new URL(opts.path ?? '/health', opts.url).toString();
  return {
    id: 'api-health',
    title: `the API answers healthy at ${target}`,
    async run(ctx) {
      const started = Date.now();
      let status: number;
      let body: string;
      try {
        const res = await fetch(target, { signal: ctx.signal, redirect: 'manual' });
        status = res.status;
        body = await res.text();
      } catch (err) {
        const cause = (err as { cause?: unknown }).cause;
        return fail(`the API did not answer at ${target}: ${describeError(cause ?? err)}`, { url: target });
      }
      const evidence = { url: target, status, body: body.slice(0, EXCERPT_CHARS) };
      const measurements = { responseMs: Date.now() - started, status };
      if (status !== 200) {
        const why = status === 502 ? ' (the gateway has no healthy instance to send it to, or is stopped)' : '';
        return fail(`the API answered HTTP ${status} at ${target}${why}`, evidence, measurements);
      }
      const health = healthStatus(body);
      if (!health || !HEALTHY.has(health.toLowerCase())) {
        return fail(`the API answered 200 at ${target} but not a healthy status (status: ${health ?? 'missing'})`, evidence, measurements);
      }
      return pass(`the API answers ${health} at ${target}`, evidence, measurements);
    },
  };
}
