/** The store the config asks for: PostgreSQL for replicas when store.postgres is set, else the embedded SQLite file. */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Clock } from '../core/clock.js';
import { UsageError } from '../core/errors.js';
import type { Config } from '../config/schema.js';
import { readSecret } from '../config/secrets.js';
import { storeFile } from '../config/paths.js';
import { openPostgresStore, openStore } from './index.js';
import type { Lease } from './lease.js';
import type { Store } from './types.js';

export interface ConfiguredStore {
  store: Store;
  /** With PostgreSQL: the lease this process competes for. */
  lease?: Lease;
}

export async function openConfiguredStore(
  config: Config,
  env: NodeJS.ProcessEnv,
  o: { writer: string; clock: Clock; onError?: (err: Error) => void; readOnly?: boolean; mustExist?: boolean },
): Promise<ConfiguredStore> {
  const postgres = config.store.postgres;
  if (!postgres) {
    const file = storeFile(config);
    // Opening a missing file would create an empty store, and report or verify nothing.
    if ((o.readOnly || o.mustExist) && !existsSync(file)) throw new UsageError(`no store at ${file}: check service.stateDir in the config`);
    return { store: openStore(file, { writer: o.writer, clock: o.clock, readOnly: o.readOnly === true }) };
  }
  return openPostgresStore({
    url: readSecret(postgres.url, env),
    clock: o.clock,
    // Unique per process: a replica restarted on the same host is a new holder.
    holder: `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`,
    leaseSeconds: config.store.leaseSeconds,
    ...(o.onError ? { onError: o.onError } : {}),
  });
}
