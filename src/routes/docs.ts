/**
 * The OpenAPI document (`/docs/json`) and its UI (`/docs`). Registered before the routes so
 * that every route is collected; routes needing a token get the bearer requirement from the
 * same rule the guard applies, so the document cannot drift from the behaviour.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { VERSION } from '../core/version.js';
import { needsToken } from './auth.js';

async function docs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'drsentinel',
        version: VERSION,
        description: 'Keeps the AWS → Azure disaster-recovery standby ready and proves it.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'a token from config auth.tokens; its roles decide what it may do' },
        },
      },
    },
    transform: ({ schema, url, route }) => ({
      url,
      schema: needsToken(route.method, route.config) ? { ...schema, security: [{ bearer: [] }] } : schema,
    }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
}

export default fp(docs, { name: 'drsentinel-docs', fastify: '5.x' });
