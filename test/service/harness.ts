/**
 * A built app over a real store in a temporary directory, a settable clock and a config
 * holding one demo token per role (the token text is its role name + "-token").
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import { ROLES } from '../../src/core/roles.js';
import { createMetrics, type Metrics } from '../../src/metrics/index.js';
import { openStore, type Store } from '../../src/store/index.js';

type Tap = { testdir(): string; teardown(fn: () => unknown): void };

export const tokenOf = (role: string) => `${role}-token`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function testConfig(): Config {
  const config = Value.Default(ConfigSchema, {
    auth: { tokens: ROLES.map((role) => ({ name: `${role}-holder`, sha256: sha256(tokenOf(role)), roles: [role] })) },
    aws: { region: 'eu-west-1', s3: { buckets: { site: 'site-b', uploads: 'uploads-b', exports: 'exports-b' } }, dynamodb: { table: 'images' } },
    azure: {
      blob: { connectionString: { env: 'UNUSED' }, websiteUrl: 'http://127.0.0.1:1', containers: { uploads: 'uploads', staging: 'staging' } },
      cosmos: { endpoint: 'http://127.0.0.1:1', key: { env: 'UNUSED' }, database: 'db', container: 'c' },
    },
  });
  if (!Value.Check(ConfigSchema, config)) throw new Error(`test config invalid: ${[...Value.Errors(ConfigSchema, config)].map((e) => e.path + ' ' + e.message).join('; ')}`);
  return config;
}

export interface Harness {
  app: FastifyInstance;
  store: Store;
  metrics: Metrics;
  config: Config;
  /** Moves the clock the app and the store read. */
  setNow(iso: string): void;
}

/** Builds the app; `beforeReady` may add test-only routes before it is sealed. */
export async function harness(t: Tap, beforeReady: (app: FastifyInstance) => void = () => {}): Promise<Harness> {
  let now = new Date('2025-03-03T10:00:00Z');
  const clock = { now: () => new Date(now) };
  const config = testConfig();
  const store = openStore(join(t.testdir(), 'drsentinel.db'), { clock });
  t.teardown(() => store.close());
  const metrics = createMetrics();
  const app = await buildApp({ config, store, metrics, clock });
  t.teardown(() => app.close());
  beforeReady(app);
  await app.ready();
  return { app, store, metrics, config, setNow: (iso) => (now = new Date(iso)) };
}
