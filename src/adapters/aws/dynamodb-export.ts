/**
 * DynamoDB's ExportTableToPointInTime as a TableExporter: full exports at a point in time and
 * incremental exports of a window, written by AWS itself into the exports bucket.
 */
import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DescribeTableCommand,
  ExportTableToPointInTimeCommand,
  type DynamoDBClient,
  type ExportDescription as AwsExportDescription,
} from '@aws-sdk/client-dynamodb';
import type { ExportDescription, ExportRequest, TableExporter } from '../../core/exports.js';

function toDescription(d: AwsExportDescription | undefined): ExportDescription {
  if (!d?.ExportArn) throw new Error('DynamoDB answered an export request without an export ARN');
  const status = d.ExportStatus === 'COMPLETED' ? 'completed' : d.ExportStatus === 'FAILED' ? 'failed' : 'in-progress';
  const spec = d.IncrementalExportSpecification;
  return {
    id: d.ExportArn.slice(d.ExportArn.lastIndexOf('/') + 1),
    arn: d.ExportArn,
    kind: d.ExportType === 'INCREMENTAL_EXPORT' ? 'incremental' : 'full',
    status,
    failure: d.FailureMessage ?? d.FailureCode,
    manifestKey: d.ExportManifest,
    itemCount: d.ItemCount,
    exportTime: d.ExportTime,
    from: spec?.ExportFromTime,
    to: spec?.ExportToTime,
  };
}

export class DynamoDbExporter implements TableExporter {
  private tableArn: string | undefined;

  constructor(private readonly client: DynamoDBClient, private readonly table: string, tableArn?: string) {
    this.tableArn = tableArn;
  }

  private async arn(signal?: AbortSignal): Promise<string> {
    if (!this.tableArn) {
      const { Table } = await this.client.send(new DescribeTableCommand({ TableName: this.table }), { abortSignal: signal });
      if (!Table?.TableArn) throw new Error(`DynamoDB did not give the ARN of table ${this.table}`);
      this.tableArn = Table.TableArn;
    }
    return this.tableArn;
  }

  async startExport(request: ExportRequest): Promise<ExportDescription> {
    const { signal } = request;
    const backups = await this.client.send(new DescribeContinuousBackupsCommand({ TableName: this.table }), { abortSignal: signal });
    if (backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus !== 'ENABLED') {
      throw new Error(`point-in-time recovery is off for table ${this.table}: enable it, or set sync.metadataExport to "scan"`);
    }
    const incremental = request.kind === 'incremental';
    const answer = await this.client.send(
      new ExportTableToPointInTimeCommand({
        TableArn: await this.arn(signal),
        S3Bucket: request.bucket,
        S3Prefix: request.prefix || undefined,
        ExportFormat: 'DYNAMODB_JSON',
        ClientToken: request.clientToken,
        ExportType: incremental ? 'INCREMENTAL_EXPORT' : 'FULL_EXPORT',
        ExportTime: incremental ? undefined : request.exportTime,
        IncrementalExportSpecification: incremental
          ? { ExportFromTime: request.from, ExportToTime: request.to, ExportViewType: 'NEW_IMAGE' }
          : undefined,
      }),
      { abortSignal: signal },
    );
    return toDescription(answer.ExportDescription);
  }

  async describeExport(arn: string, signal?: AbortSignal): Promise<ExportDescription> {
    const answer = await this.client.send(new DescribeExportCommand({ ExportArn: arn }), { abortSignal: signal });
    return toDescription(answer.ExportDescription);
  }
}
