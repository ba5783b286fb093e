/**
 * The syncs AWS → Azure (R1–R3), declared once. Every list of flows (the store's runs, the sync
 * service, metrics, the API's schemas, the CLI, reports) is read from this table, so a flow is
 * added or renamed here and nowhere else.
 */
export interface FlowDeclaration {
  /** R1–R3. */
  requirement: string;
  /** Where it reads and writes, in the words of the people who run it. */
  source: string;
  destination: string;
  /**
   * mirror: the destination becomes the source (deletes included, behind the brakes);
   * copy: new and changed objects only, nothing deleted; import: items through an export.
   */
  mode: 'mirror' | 'copy' | 'import';
  /** What proves a run: its verification. */
  verifier: string;
}

export const FLOW_TABLE = {
  site: {
    requirement: 'R1', source: 'the S3 site bucket', destination: 'the $web container', mode: 'mirror',
    verifier: 'every object compared by size and MD5, and the static website answering',
  },
  uploads: {
    requirement: 'R2', source: 'the S3 uploads bucket', destination: 'the uploads container', mode: 'copy',
    verifier: 'the latest uploads compared by MD5',
  },
  metadata: {
    requirement: 'R3', source: 'DynamoDB', destination: 'Cosmos DB', mode: 'import',
    verifier: 'a share of the items compared by canonical hash',
  },
} as const satisfies Record<string, FlowDeclaration>;

export type SyncFlow = keyof typeof FLOW_TABLE;

/** The flows in the table's order: site, uploads, metadata. */
export const SYNC_FLOWS = Object.keys(FLOW_TABLE) as SyncFlow[];
