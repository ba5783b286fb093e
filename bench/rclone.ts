/**
 * The baseline: `rclone sync src:<bucket> dst:<container>`, configured entirely from the
 * environment against the same twin fronts drsentinel uses (../shared/notes/emulators.md).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Endpoints } from '../lab/endpoints.js';
import { measure, type Measured } from './measure.js';

const run = promisify(execFile);

export const RCLONE_INSTALL_HINT = 'install it with `apt-get install -y rclone` (Debian 12 ships 1.60) or see https://rclone.org/install/';

/** The rclone on PATH and its version, or undefined when there is none. */
export async function findRclone(): Promise<{ version: string } | undefined> {
  try {
    const { stdout } = await run('rclone', ['version'], { timeout: 10_000 });
    return { version: stdout.split('\n')[0]?.trim() ?? 'rclone' };
  } catch {
    return undefined;
  }
}

/** `BlobEndpoint=…;` of an account-key connection string. */
function blobEndpoint(connectionString: string): string {
  const value = /(?:^|;)BlobEndpoint=([^;]+)/.exec(connectionString)?.[1];
  if (!value) throw new Error('the lab connection string names no BlobEndpoint');
  return value.replace(/\/$/, '');
}

function rcloneEnv(endpoints: Endpoints): NodeJS.ProcessEnv {
  // The machine exports AWS_CA_BUNDLE, and rclone's s3 backend fails on it.
  const { AWS_CA_BUNDLE: _ignored, ...inherited } = process.env;
  const { aws, azure } = endpoints;
  return {
    ...inherited,
    RCLONE_CONFIG: '/dev/null',
    RCLONE_CONFIG_SRC_TYPE: 's3',
    RCLONE_CONFIG_SRC_PROVIDER: 'Other',
    RCLONE_CONFIG_SRC_ENDPOINT: aws.s3.endpoint,
    RCLONE_CONFIG_SRC_ACCESS_KEY_ID: aws.accessKeyId,
    RCLONE_CONFIG_SRC_SECRET_ACCESS_KEY: aws.secretAccessKey,
    RCLONE_CONFIG_SRC_FORCE_PATH_STYLE: 'true',
    RCLONE_CONFIG_SRC_REGION: aws.region,
    RCLONE_CONFIG_DST_TYPE: 'azureblob',
    // The emulator switch uses Azurite's published development account and key.
    RCLONE_CONFIG_DST_USE_EMULATOR: 'true',
    RCLONE_CONFIG_DST_ENDPOINT: blobEndpoint(azure.blob.connectionString),
  };
}

export interface RcloneRun extends Measured {
  /** Files rclone says it transferred, from its closing statistics. */
  transferred: number | undefined;
}

export async function rcloneSync(endpoints: Endpoints, bucket: string, container: string, concurrency: number, timeoutMs: number): Promise<RcloneRun> {
  const args = [
    'sync', `src:${bucket}`, `dst:${container}`,
    '--transfers', String(concurrency), '--checkers', String(concurrency),
    // Statistics once, at the end, at a level printed without -v.
    '--stats', '1h', '--stats-log-level', 'NOTICE',
  ];
  const measured = await measure('rclone', args, { env: rcloneEnv(endpoints), timeoutMs });
  if (measured.exitCode !== 0) {
    throw new Error(`rclone sync ${bucket} → ${container} exited ${measured.exitCode}: ${measured.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
  // rclone prints the files line only when it transferred something.
  const files = /Transferred:\s+(\d+)\s*\/\s*\d+,/.exec(measured.stderr)?.[1];
  const statsPrinted = measured.stderr.includes('Elapsed time:');
  return { ...measured, transferred: files !== undefined ? Number(files) : statsPrinted ? 0 : undefined };
}
