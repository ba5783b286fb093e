/** Write times as the real stores keep them: S3 and Blob report HTTP dates, Cosmos `_ts`, all in whole seconds. */
import type { Clock } from '../../src/core/clock.js';

export function wholeSecondNow(clock: Clock): Date {
  return new Date(Math.floor(clock.now().getTime() / 1000) * 1000);
}
