/**
 * What the Azure twins share: the Function App's functions (the ARM listing shows them, the
 * function host runs only what is registered) and the application's telemetry (the gateway's
 * frontend records requests, the function host records runs, the Monitor twin answers queries
 * from both).
 */
export interface TwinFunctionBinding {
  type: string;
  direction: string;
  name: string;
  path?: string;
  connection?: string;
}

export interface TwinFunction {
  name: string;
  bindings: TwinFunctionBinding[];
}

export interface RequestRecord {
  at: Date;
  method: string;
  path: string;
  status: number;
  durationMs: number;
}

export interface FunctionRunRecord {
  at: Date;
  functionName: string;
  invocationId: string;
  /** The blob that triggered it: `container/name`. */
  trigger: string;
  succeeded: boolean;
  durationMs: number;
  message?: string;
}

/** Telemetry kept in memory is bounded: the oldest records go first. */
const MAX_RECORDS = 10_000;

export class AzureTwinState {
  readonly functions = new Map<string, TwinFunction>();
  readonly requests: RequestRecord[] = [];
  readonly functionRuns: FunctionRunRecord[] = [];

  recordRequest(record: RequestRecord): void {
    push(this.requests, record);
  }

  recordFunctionRun(record: FunctionRunRecord): void {
    push(this.functionRuns, record);
  }
}

function push<T>(records: T[], record: T): void {
  records.push(record);
  if (records.length > MAX_RECORDS) records.splice(0, records.length - MAX_RECORDS);
}

/** The demo application's conversion function: Base64 chunks of each new upload into Cosmos. */
export function conversionFunction(uploadsContainer: string): TwinFunction {
  return {
    name: 'convert',
    bindings: [
      { type: 'blobTrigger', direction: 'in', name: 'upload', path: `${uploadsContainer}/{name}`, connection: 'AzureWebJobsStorage' },
      { type: 'cosmosDB', direction: 'out', name: 'chunks', connection: 'CosmosConnection' },
    ],
  };
}
