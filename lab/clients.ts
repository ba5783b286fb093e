/**
 * The official SDK clients, configured for the twin exactly as a deployment's config would
 * configure them (path-style S3, checksums only when required, Cosmos without endpoint
 * discovery). Used by the lab to create and seed its stores, and by tests.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BlobServiceClient } from '@azure/storage-blob';
import { CosmosClient } from '@azure/cosmos';
import type { Endpoints } from './endpoints.js';

export interface LabClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  blob: BlobServiceClient;
  cosmos: CosmosClient;
  destroy(): void;
}

export function labClients(endpoints: Endpoints): LabClients {
  const { aws, azure } = endpoints;
  const credentials = { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey };
  const s3 = new S3Client({
    region: aws.region,
    endpoint: aws.s3.endpoint,
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const dynamodb = new DynamoDBClient({ region: aws.region, endpoint: aws.dynamodb.endpoint, credentials });
  const blob = BlobServiceClient.fromConnectionString(azure.blob.connectionString);
  const cosmos = new CosmosClient({
    endpoint: azure.cosmos.endpoint,
    key: azure.cosmos.key,
    connectionPolicy: { enableEndpointDiscovery: false },
  });
  return {
    s3,
    dynamodb,
    blob,
    cosmos,
    destroy() {
      s3.destroy();
      dynamodb.destroy();
      cosmos.dispose();
    },
  };
}
