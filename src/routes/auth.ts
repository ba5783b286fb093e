/**
 * The one guard hook. Bearer tokens are configured by their SHA-256 only; the presented
 * token is hashed and compared in constant time with every configured hash.
 *
 * Which requests need a token:
 * - every request that changes something (any method but GET / HEAD / OPTIONS);
 * - a read route that says `config: { auth: true }`: runs, reports, messages and the audit
 *   log, which carry run parameters, approvers' reasons, the war-room roster, console logs
 *   and root causes;
 * - any route that declares `config: { roles: [...] }`, which also needs one of those roles.
 * Other GETs stay open (health, metrics, readiness, checks, syncs, docs): load balancers and
 * dashboards read them without a token, and they name no one and carry no run parameters,
 * decisions or messages. The authenticated caller is `request.principal`, for the audit log.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/schema.js';
import type { RoleName } from '../core/roles.js';
import type { ErrorBody } from './errors.js';

export interface Principal {
  name: string;
  roles: RoleName[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The caller needs at least one of these roles. */
    roles?: RoleName[];
    /** The caller needs a valid token even though the route only reads. */
    auth?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CHALLENGE = 'Bearer realm="drsentinel"';

type TokenEntry = Config['auth']['tokens'][number];

/** The holder of `token`, or undefined. Every entry is compared, whatever matches first. */
export function authenticate(token: string, tokens: readonly TokenEntry[]): Principal | undefined {
  const presented = createHash('sha256').update(token, 'utf8').digest();
  let found: TokenEntry | undefined;
  for (const entry of tokens) {
    const expected = Buffer.from(entry.sha256, 'hex');
    if (expected.length === presented.length && timingSafeEqual(expected, presented) && !found) found = entry;
  }
  // The config schema admits only ROLES; its TypeBox union widens them to string.
  return found && { name: found.name, roles: [...found.roles] as RoleName[] };
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

function either(names: readonly string[], conjunction: string): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} ${conjunction} ${names[names.length - 1]}`;
}

function unauthorized(reply: FastifyReply, message: string, invalid: boolean): FastifyReply {
  return reply
    .code(401)
    .header('WWW-Authenticate', invalid ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE)
    .send({ error: 'unauthorized', message } satisfies ErrorBody);
}

/** Whether this route asks for a token (the OpenAPI document declares it from the same rule). */
export function needsToken(method: string | string[], config: { roles?: readonly string[]; auth?: boolean } | undefined): boolean {
  const methods = Array.isArray(method) ? method : [method];
  return methods.some((m) => !READ_METHODS.has(m.toUpperCase())) || Boolean(config?.auth) || Boolean(config?.roles?.length);
}

async function auth(app: FastifyInstance, opts: { tokens: readonly TokenEntry[] }): Promise<void> {
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (request, reply) => {
    const token = bearerToken(request);
    const principal = token === undefined ? undefined : authenticate(token, opts.tokens);
    request.principal = principal ?? null;

    const routeConfig = request.routeOptions.config;
    if (!needsToken(request.method, routeConfig)) return;
    if (token === undefined) return unauthorized(reply, 'this action needs a bearer token: send "Authorization: Bearer <token>"', false);
    if (!principal) return unauthorized(reply, 'the bearer token is not valid', true);

    const required = routeConfig.roles ?? [];
    if (required.length > 0 && !principal.roles.some((role) => required.includes(role))) {
      return reply.code(403).send({
        error: 'forbidden',
        message: `this action needs the role ${either(required, 'or')}; your token has ${either(principal.roles, 'and')}`,
      } satisfies ErrorBody);
    }
  });
}

export default fp(auth, { name: 'drsentinel-auth', fastify: '5.x' });
