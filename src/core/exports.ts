/**
 * The export port: a table that can write a consistent copy of itself to object storage
 * (DynamoDB's ExportTableToPointInTime), full or incremental, in the documented layout:
 *   <prefix>/AWSDynamoDB/<exportId>/manifest-summary.json
 *   <prefix>/AWSDynamoDB/<exportId>/manifest-files.json   (JSON lines: itemCount, md5Checksum, dataFileS3Key)
 *   <prefix>/AWSDynamoDB/<exportId>/data/*.json.gz        (gzipped DYNAMODB_JSON lines)
 */
export type ExportKind = 'full' | 'incremental';

export interface ExportRequest {
  kind: ExportKind;
  bucket: string;
  prefix: string;
  /** Full export: the point in time exported. */
  exportTime?: Date;
  /** Incremental export: the window [from, to). */
  from?: Date;
  to?: Date;
  /** Same token, same export: a retried request after a crash does not start a second one. */
  clientToken: string;
  signal?: AbortSignal;
}

export interface ExportDescription {
  id: string;
  arn: string;
  kind: ExportKind;
  status: 'in-progress' | 'completed' | 'failed';
  failure?: string;
  /** Key of manifest-summary.json in the bucket, once completed. */
  manifestKey?: string;
  itemCount?: number;
  exportTime?: Date;
  from?: Date;
  to?: Date;
}

export interface TableExporter {
  startExport(request: ExportRequest): Promise<ExportDescription>;
  describeExport(arn: string, signal?: AbortSignal): Promise<ExportDescription>;
}

/** One line of `manifest-files.json`. */
export interface ManifestFile {
  itemCount: number;
  md5Checksum: string;
  etag?: string;
  dataFileS3Key: string;
}

/** The fields of `manifest-summary.json` the engine relies on. */
export interface ManifestSummary {
  exportArn: string;
  exportTime?: string;
  exportType?: 'FULL_EXPORT' | 'INCREMENTAL_EXPORT';
  exportFromTime?: string;
  exportToTime?: string;
  itemCount: number;
  manifestFilesS3Key: string;
  outputFormat: string;
}
