/**
 * The DynamoDB front (dynalite with the export API) writing its exports through the S3 front
 * (s3rver): what the export tests need of the lab, and nothing more. SDK clients of both.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { FaultSwitch } from '../../lab/faults.js';
import { startDynamoFront } from '../../lab/dynamodb-front.js';
import { startS3Front } from '../../lab/s3-front.js';
import { LAB_CREDENTIALS, startDynalite, startS3rver, tempDir, type Teardown } from './emulators.js';

export const REGION = 'us-east-1';

export async function startExportTwin(t: Teardown): Promise<{ ddb: DynamoDBClient; s3: S3Client }> {
  const faults = new FaultSwitch();
  const stateDir = await tempDir(t, 'ddbfront');
  const s3rver = await startS3rver(t);
  const s3Front = await startS3Front({ upstream: s3rver.url, upstreamDirectory: s3rver.directory, host: '127.0.0.1', stateDir, faults });
  t.teardown(() => s3Front.close());
  const front = await startDynamoFront({
    upstream: await startDynalite(t), host: '127.0.0.1', stateDir, faults,
    s3: { endpoint: s3Front.url, region: REGION, ...LAB_CREDENTIALS },
    minIncrementalWindowMs: 1000,
  });
  t.teardown(() => front.close());
  const ddb = new DynamoDBClient({ endpoint: front.url, region: REGION, credentials: LAB_CREDENTIALS });
  const s3 = new S3Client({
    endpoint: s3Front.url, region: REGION, forcePathStyle: true, credentials: LAB_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED',
  });
  t.teardown(() => { ddb.destroy(); s3.destroy(); });
  return { ddb, s3 };
}
