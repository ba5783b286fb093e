/**
 * The product's adapters held in memory, for the engines and the sync service without a twin:
 * the buckets list as S3 does (UTF-8, no metadata in the listing), the containers as Blob does,
 * DynamoDB and Cosmos as memory tables behaving as each. A config with the names of the
 * minimal fixture comes with them.
 */
import { fileURLToPath } from 'node:url';
import type { Adapters } from '../../src/adapters/index.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { Clock } from '../../src/core/clock.js';
import type { KeySchema } from '../../src/core/items.js';
import { cosmosContainerName, dynamoTableName } from '../../src/adapters/table-names.js';
import { MemoryDocumentTable } from './memory-document-table.js';
import { MemoryObjectStore } from './memory-object-store.js';

export interface MemoryAdapters extends Adapters {
  objects: Record<keyof Adapters['objects'], MemoryObjectStore>;
  tables: { dynamodb: MemoryDocumentTable; cosmos: MemoryDocumentTable };
}

const minimal = fileURLToPath(new URL('../fixtures/config/minimal.yaml', import.meta.url));

/** The minimal fixture's config, its state in `stateDir`. */
export function memoryConfig(stateDir: string): Config {
  const { config } = loadConfig(minimal, { DRS_TEST_BLOB: 'UseDevelopmentStorage=true', DRS_TEST_COSMOS_KEY: 'unused' });
  config.service.stateDir = stateDir;
  return config;
}

/** Stores and tables named as `config` names them; nothing exports or gates uploads in memory. */
export function memoryAdapters(config: Config, schema: KeySchema, clock?: Clock): MemoryAdapters {
  const { buckets } = config.aws.s3;
  const { containers } = config.azure.blob;
  const bucket = (name: string) => new MemoryObjectStore(`s3://${name}`, 'utf8', { listsMetadata: false, clock });
  const container = (name: string) => new MemoryObjectStore(`blob://${name}`, 'utf16', { listsMetadata: true, clock });
  const { table } = config.aws.dynamodb;
  const { database, container: cosmosContainer } = config.azure.cosmos;
  const cosmos = new MemoryDocumentTable(cosmosContainerName(database, cosmosContainer), schema, { behaves: 'cosmos', clock });
  const absent = (what: string) => () => Promise.reject(new Error(`the memory adapters have no ${what}`));
  return {
    objects: {
      awsSite: bucket(buckets.site),
      awsUploads: bucket(buckets.uploads),
      awsExports: bucket(buckets.exports),
      azureSite: container(containers.site),
      azureUploads: container(containers.uploads),
      azureStaging: container(containers.staging),
    },
    tables: { dynamodb: new MemoryDocumentTable(dynamoTableName(table), schema, { behaves: 'dynamodb', clock }), cosmos },
    exporter: { startExport: absent('exporter'), describeExport: absent('exporter') },
    uploadGate: { name: `s3://${buckets.uploads}`, block: absent('upload gate'), unblock: absent('upload gate'), isBlocked: absent('upload gate') },
    cosmosWithSchema: (asked) => {
      if (JSON.stringify(asked) !== JSON.stringify(schema)) throw new Error(`the memory Cosmos table has the key schema ${JSON.stringify(schema)}, not ${JSON.stringify(asked)}`);
      return cosmos;
    },
    close: () => undefined,
  };
}
