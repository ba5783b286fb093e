/**
 * The one place where errors become HTTP answers. Routes throw domain errors
 * (core/errors.ts) and never build error replies themselves; anything unexpected is logged
 * in full and answered with a generic 500 that leaks nothing.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ConflictError, DomainError, FencedError, ForbiddenError, NotAvailableError, NotFoundError, StoreUnavailableError, UsageError } from '../core/errors.js';

/** Body of every error answer. */
export interface ErrorBody {
  error: string;
  message: string;
  /** For validation errors: where in the request, e.g. `body/reason`. */
  field?: string;
}

const DOMAIN_STATUS: Array<[new (...args: never[]) => DomainError, number]> = [
  [UsageError, 400],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [NotAvailableError, 501],
  [FencedError, 503],
  [StoreUnavailableError, 503],
];

export function httpStatusOf(err: DomainError): number {
  return DOMAIN_STATUS.find(([type]) => err instanceof type)?.[1] ?? 500;
}

function validationField(err: FastifyError): string | undefined {
  const first = err.validation?.[0];
  if (!first) return undefined;
  const missing = (first.params as { missingProperty?: unknown } | undefined)?.missingProperty;
  const path = [err.validationContext, ...first.instancePath.split('/').filter(Boolean)];
  if (typeof missing === 'string') path.push(missing);
  return path.filter(Boolean).join('/');
}

export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof DomainError) {
    return reply.code(httpStatusOf(err)).send({ error: err.code, message: err.message } satisfies ErrorBody);
  }
  if (err.validation) {
    const field = validationField(err);
    return reply.code(400).send({ error: 'bad-request', message: err.message, ...(field ? { field } : {}) } satisfies ErrorBody);
  }
  // Fastify's own client errors (bad JSON, body too large, unsupported media type) say
  // nothing secret and tell the caller what to fix.
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return reply.code(status).send({ error: 'bad-request', message: err.message } satisfies ErrorBody);
  }
  request.log.error({ err }, 'request failed');
  return reply.code(500).send({ error: 'internal', message: `internal error; the service log has the details (request ${request.id})` } satisfies ErrorBody);
}

async function errors(app: FastifyInstance): Promise<void> {
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not-found', message: `no route ${request.method} ${request.url.split('?')[0]}` } satisfies ErrorBody),
  );
}

export default fp(errors, { name: 'drsentinel-errors', fastify: '5.x' });
