/**
 * The lab twin is a development tool: a production image has neither lab/ nor the
 * emulators it starts, so it is only ever imported lazily, through here.
 */
import { UsageError } from '../core/errors.js';

export type LabModule = typeof import('../../lab/index.js');

export async function importLab(messageIfMissing: string): Promise<LabModule> {
  return lazily(() => import('../../lab/index.js'), messageIfMissing);
}

/** The two-replica demo (`drsentinel lab --postgres`). */
export async function importReplicaDemo(): Promise<typeof import('../../lab/replicas.js')> {
  return lazily(() => import('../../lab/replicas.js'), 'the lab twin is not installed: it needs the dev dependencies (npm install without --omit=dev)');
}

async function lazily<T>(load: () => Promise<T>, messageIfMissing: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw new UsageError(messageIfMissing);
    throw err;
  }
}
