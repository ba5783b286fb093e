/** Where drsentinel keeps its files. */
import { join, resolve } from 'node:path';
import type { Config } from './schema.js';

/** Default state directory of the lab twin (`drsentinel lab`, `drsentinel serve` without config). */
export const LAB_STATE_DIR = '.lab';

/** The SQLite file of the store under the configured state directory. */
export function storeFile(config: Config): string {
  return join(resolve(config.service.stateDir), 'drsentinel.db');
}
