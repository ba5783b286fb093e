/**
 * The application's logs behind the AppLogs port: a Log Analytics workspace queried with
 * @azure/monitor-query-logs. Both queries read `AppRequests` (workspace-based Application
 * Insights): Azure Functions logs each invocation there with an empty `Url`, its invocation id
 * and trigger in `Properties`; HTTP requests served by the application carry a `Url`.
 */
import { LogsQueryClient, LogsQueryResultStatus, type LogsTable } from '@azure/monitor-query-logs';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../core/errors.js';
import type { AppLogs, FunctionRun } from '../../core/ports.js';
import { azureCredential, clientOptions } from './credential.js';

/** A KQL string literal. */
const kqlString = (text: string) => `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

export function functionRunsQuery(functionName: string): string {
  return [
    'AppRequests',
    `where OperationName == ${kqlString(functionName)}`,
    'project TimeGenerated, OperationName, Success, DurationMs, Properties',
    'order by TimeGenerated asc',
  ].join('\n| ');
}

export const REQUEST_STATUSES_QUERY = ['AppRequests', 'where isnotempty(Url)', 'summarize Count = count() by ResultCode'].join('\n| ');

/** Blob-triggered invocations say `New blob detected(<how>): <container>/<name>`. */
const BLOB_TRIGGER = /^New blob detected[^:]*: (.+)$/;

type Cells = Record<string, unknown>;

function records(table: LogsTable): Cells[] {
  return table.rows.map((row) => Object.fromEntries(table.columnDescriptors.map((c, i) => [c.name ?? String(i), row[i]])));
}

function toRun(cells: Cells): FunctionRun {
  const properties = (typeof cells.Properties === 'object' && cells.Properties !== null ? cells.Properties : {}) as Record<string, unknown>;
  const trigger = BLOB_TRIGGER.exec(String(properties.TriggerReason ?? ''))?.[1];
  const at = cells.TimeGenerated instanceof Date ? cells.TimeGenerated : new Date(String(cells.TimeGenerated));
  return {
    functionName: String(cells.OperationName),
    invocationId: String(properties.InvocationId ?? ''),
    ...(trigger ? { trigger } : {}),
    succeeded: cells.Success === true || cells.Success === 'True',
    at,
    ...(typeof cells.DurationMs === 'number' ? { durationMs: cells.DurationMs } : {}),
  };
}

export class LogAnalyticsAppLogs implements AppLogs {
  constructor(
    private readonly client: LogsQueryClient,
    private readonly workspaceId: string,
  ) {}

  private async query(query: string, since: Date, signal?: AbortSignal): Promise<Cells[]> {
    const result = await this.client.queryWorkspace(this.workspaceId, query, { startTime: since, endTime: new Date() }, { abortSignal: signal });
    if (result.status !== LogsQueryResultStatus.Success) {
      throw new Error(`the Log Analytics query came back incomplete: ${result.partialError.message}`);
    }
    return result.tables.flatMap(records);
  }

  async functionRuns(functionName: string, since: Date, signal?: AbortSignal): Promise<FunctionRun[]> {
    return (await this.query(functionRunsQuery(functionName), since, signal)).map(toRun);
  }

  async requestStatuses(since: Date, signal?: AbortSignal): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const cells of await this.query(REQUEST_STATUSES_QUERY, since, signal)) {
      const code = String(cells.ResultCode);
      counts[code] = (counts[code] ?? 0) + Number(cells.Count);
    }
    return counts;
  }
}

export function buildAppLogs(config: Config, env: NodeJS.ProcessEnv = process.env): AppLogs {
  const monitor = config.azure.monitor;
  if (!monitor) throw new UsageError('the application logs checks need azure.monitor (workspaceId)');
  const client = new LogsQueryClient(azureCredential(config, env), clientOptions(monitor.endpoint, monitor.ca));
  return new LogAnalyticsAppLogs(client, monitor.workspaceId);
}
