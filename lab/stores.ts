/** The empty stores of the twin: buckets, the images table, Blob containers, the Cosmos container. */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CosmosClient } from '@azure/cosmos';
import type { Endpoints } from './endpoints.js';
import type { LabClients } from './clients.js';

export async function createStores(endpoints: Endpoints, clients: LabClients): Promise<void> {
  const { aws, azure } = endpoints;
  await Promise.all([
    ...Object.values(aws.s3.buckets).map((Bucket) => clients.s3.send(new CreateBucketCommand({ Bucket }))),
    clients.dynamodb.send(
      new CreateTableCommand({
        TableName: aws.dynamodb.table,
        KeySchema: [
          { AttributeName: 'imageId', KeyType: 'HASH' },
          { AttributeName: 'chunkIndex', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'imageId', AttributeType: 'S' },
          { AttributeName: 'chunkIndex', AttributeType: 'N' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    ).then(() => tableActive(clients.dynamodb, aws.dynamodb.table)),
    ...Object.values(azure.blob.containers).map((name) => clients.blob.getContainerClient(name).create()),
    createImagesContainer(clients.cosmos, azure.cosmos.database, azure.cosmos.container),
  ]);
}

/** The Cosmos database and container of the images, partitioned by image as the standby's is. */
export async function createImagesContainer(cosmos: CosmosClient, database: string, container: string): Promise<void> {
  const created = await cosmos.databases.createIfNotExists({ id: database });
  await created.database.containers.createIfNotExists({ id: container, partitionKey: { paths: ['/imageId'] } });
}

/** dynalite flips a new table to ACTIVE on a timer, even with --createTableMs 0. */
async function tableActive(dynamodb: DynamoDBClient, table: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: table }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`table ${table} did not become ACTIVE`);
}
