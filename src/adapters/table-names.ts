/** How tables are named in reports and logs, known without loading their SDKs (see lazy.ts). */
export const dynamoTableName = (table: string) => `dynamodb://${table}`;
export const cosmosContainerName = (database: string, container: string) => `cosmos://${database}/${container}`;
