/**
 * The metadata side of the adapters: DynamoDB and Cosmos, their clients and tables. Loaded by
 * adapters/index.ts on first use only, so that a process that syncs objects never loads
 * their SDKs (0.6 s of start-up and 15 MB of resident memory).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CosmosClient } from '@azure/cosmos';
import type { Config } from '../config/schema.js';
import type { KeySchema } from '../core/items.js';
import type { TableExporter } from '../core/exports.js';
import type { DocumentTable } from '../core/ports.js';
import { awsClientConfig } from './aws/client-config.js';
import { DynamoDocumentTable } from './aws/dynamodb.js';
import { DynamoDbExporter } from './aws/dynamodb-export.js';
import { CosmosDocumentTable } from './azure/cosmos.js';
import { requestTimeoutMs } from './timeouts.js';

export interface TableAdapters {
  dynamodb: DocumentTable;
  cosmos: DocumentTable;
  exporter: TableExporter;
  cosmosWithSchema(schema: KeySchema): DocumentTable;
  close(): void;
}

/** `cosmosKey` is the secret already read, so that a missing one fails when the adapters are built. */
export function buildTables(config: Config, env: NodeJS.ProcessEnv, cosmosKey: string): TableAdapters {
  const { dynamodb: dynamoConfig } = config.aws;
  const { cosmos: cosmosConfig } = config.azure;
  const dynamodb = new DynamoDBClient(awsClientConfig(config, dynamoConfig.endpoint, env));
  const cosmos = new CosmosClient({
    endpoint: cosmosConfig.endpoint,
    key: cosmosKey,
    // Cosmos bounds each request, body included, by this (its default is 60 s).
    connectionPolicy: { enableEndpointDiscovery: cosmosConfig.endpointDiscovery, requestTimeout: requestTimeoutMs(config) },
  });
  const cosmosContainer = cosmos.database(cosmosConfig.database).container(cosmosConfig.container);
  const dynamoTable = new DynamoDocumentTable(dynamodb, dynamoConfig.table);
  return {
    dynamodb: dynamoTable,
    cosmos: new CosmosDocumentTable(cosmosContainer, (signal) => dynamoTable.keySchema(signal)),
    exporter: new DynamoDbExporter(dynamodb, dynamoConfig.table, dynamoConfig.tableArn),
    cosmosWithSchema: (schema) => new CosmosDocumentTable(cosmosContainer, schema),
    close() {
      dynamodb.destroy();
      cosmos.dispose();
    },
  };
}
