/**
 * The lab twin is a development tool: a production image has neither lab/ nor the
 * emulators it starts, so it is only ever imported lazily, through here.
 */
import { UsageError } from './core/errors.js';

export type LabModule = typeof import('../lab/index.js');

export async function importLab(messageIfMissing: string): Promise<LabModule> {
  try {
    return await import('../lab/index.js');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw new UsageError(messageIfMissing);
    throw err;
  }
}
