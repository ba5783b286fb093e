/**
 * After the DNS cutback, resolvers that still hold the old answer send users to Azure for a
 * while. The rollback waits until no write has landed there for a quiet period before its last
 * reverse pass, so what Azure took in meanwhile is carried back before the standby scales down.
 */
import { fail, pass, type Outcome } from '../core/result.js';
import type { RunbookDeps } from './deps.js';

const NAMED = 5;

/** Passes when neither the uploads container nor Cosmos took a write in the last `periodSeconds`. */
export async function azureQuiet(deps: Pick<RunbookDeps, 'adapters' | 'clock'>, periodSeconds: number, signal: AbortSignal): Promise<Outcome> {
  const since = new Date(deps.clock.now().getTime() - periodSeconds * 1000);
  const uploads = deps.adapters.objects.azureUploads;
  const recentUploads: string[] = [];
  let uploadCount = 0;
  for await (const object of uploads.list({ signal })) {
    if (object.lastModified < since) continue;
    uploadCount++;
    if (recentUploads.length < NAMED) recentUploads.push(`${object.key} at ${object.lastModified.toISOString()}`);
  }
  let documentCount = 0;
  for await (const _document of deps.adapters.tables.cosmos.scan({ changedSince: since, signal })) documentCount++;
  const measurements = { uploads: uploadCount, documents: documentCount, quietPeriodSeconds: periodSeconds };
  if (uploadCount === 0 && documentCount === 0) return pass(`no write has landed on Azure for ${periodSeconds} s`, {}, measurements);
  const what = [
    ...(uploadCount ? [`${uploadCount} upload(s) at ${uploads.name} (${recentUploads.join(', ')})`] : []),
    ...(documentCount ? [`${documentCount} document(s) at ${deps.adapters.tables.cosmos.name}`] : []),
  ];
  return fail(`Azure still takes writes: ${what.join(' and ')} in the last ${periodSeconds} s`, { recentUploads }, measurements);
}
