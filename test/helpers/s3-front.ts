/**
 * Only S3: s3rver behind the lab's protocol front, and an SDK client on it, stopped when the
 * test ends — for tests of S3's wire that need none of the other twins.
 */
import type { Test } from 'tap';
import { S3Client } from '@aws-sdk/client-s3';
import { FaultSwitch } from '../../lab/faults.js';
import { startS3Front } from '../../lab/s3-front.js';
import { LAB_CREDENTIALS, startS3rver, tempDir } from './emulators.js';

export async function s3FrontOnly(t: Test) {
  const { url: upstream, directory: upstreamDirectory } = await startS3rver(t);
  const faults = new FaultSwitch();
  const front = await startS3Front({ upstream, upstreamDirectory, host: '127.0.0.1', stateDir: await tempDir(t, 's3front'), faults });
  t.teardown(() => front.close());
  const s3 = new S3Client({
    endpoint: front.url, region: 'us-east-1', forcePathStyle: true, credentials: LAB_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  t.teardown(() => s3.destroy());
  return { s3, faults, front, upstreamDirectory };
}
