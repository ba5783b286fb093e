/**
 * One of the lab's emulators for a test that needs no more: started as the lab starts it (same
 * package, flags and child-process handling, lab/emulators.ts), stopped when the test ends.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmulator } from '../../lab/children.js';
import { emulatorSpecs, S3RVER_CREDENTIALS } from '../../lab/emulators.js';

/** What the helpers need from a tap test: somewhere to hang the clean-up. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

export const LAB_CREDENTIALS = S3RVER_CREDENTIALS;
const HOST = '127.0.0.1';

export async function tempDir(t: Teardown, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `drsentinel-${prefix}-`));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function start(t: Teardown, which: keyof ReturnType<typeof emulatorSpecs>, dataDir: string): Promise<string> {
  const child = await startEmulator(emulatorSpecs(dataDir, HOST)[which], HOST);
  t.teardown(() => child.stop());
  return `http://${HOST}:${child.port}`;
}

/** s3rver, and the directory of its files (the S3 front reads listings from it). */
export async function startS3rver(t: Teardown): Promise<{ url: string; directory: string }> {
  const dataDir = await tempDir(t, 's3rver');
  return { url: await start(t, 's3', dataDir), directory: path.join(dataDir, 's3') };
}

export async function startDynalite(t: Teardown): Promise<string> {
  return start(t, 'dynamodb', await tempDir(t, 'dynalite'));
}

/** Azurite's Blob service, in memory. */
export async function startAzurite(t: Teardown): Promise<string> {
  return start(t, 'blob', await tempDir(t, 'azurite'));
}

/** The Cosmos server, over plain HTTP. */
export async function startCosmosServer(t: Teardown): Promise<string> {
  return start(t, 'cosmos', await tempDir(t, 'cosmos'));
}
