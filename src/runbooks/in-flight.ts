/**
 * "Confirm nothing is still processing" before the standby goes back to warm (R13.4): every
 * upload users made on Azure since the contingency began has a finished run of the conversion
 * function in the logs. Replicas written by the sync are not the function's work, so they do
 * not count.
 */
import type { AppLogs, ObjectStore } from '../core/ports.js';
import { FINGERPRINT_KEY } from '../sync/objects.js';

/** The uploads since `since` that no run of `functionName` has handled yet, by key. */
export async function uploadsInFlight(o: { uploads: ObjectStore; logs: AppLogs; functionName: string; container: string; since: Date; signal: AbortSignal }): Promise<string[]> {
  const runs = await o.logs.functionRuns(o.functionName, o.since, o.signal);
  const handled = new Set(runs.flatMap((r) => (r.trigger?.startsWith(`${o.container}/`) ? [r.trigger.slice(o.container.length + 1)] : [])));
  const pending: string[] = [];
  for await (const object of o.uploads.list({ signal: o.signal })) {
    if (object.lastModified < o.since || object.metadata[FINGERPRINT_KEY] !== undefined) continue;
    if (!handled.has(object.key)) pending.push(object.key);
  }
  return pending;
}
