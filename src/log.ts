/**
 * Logger options shared by the service (pino through Fastify). Lines go to stderr so that
 * stdout stays free for the CLI's machine-readable output.
 */
import type { FastifyServerOptions } from 'fastify';

/** Header and field paths whose values are secrets: replaced by "[redacted]" in every line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'request.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
];

export function loggerOptions(level: string, stream: { write(line: string): unknown } = process.stderr): Exclude<FastifyServerOptions['logger'], boolean | undefined> {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    stream,
  };
}
