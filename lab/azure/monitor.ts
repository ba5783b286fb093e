/**
 * The Azure Monitor Logs twin: `POST /v1/workspaces/{id}/query` as `@azure/monitor-query-logs`
 * sends it. The workspace holds one table, `AppRequests` (Application Insights, workspace-based),
 * made at query time from the twin's telemetry: the HTTP requests the gateway's frontend served
 * (with a `Url`) and the function host's invocations (no `Url`; their invocation id and trigger
 * in `Properties`, as Azure Functions logs them). The query's `timespan` bounds `TimeGenerated`.
 */
import { randomUUID } from 'node:crypto';
import type { FaultSwitch } from '../faults.js';
import { azureError, bearerAuthorize, startHttpsTwin, TwinRouter } from '../https-twin.js';
import type { TwinCertificate } from '../tls.js';
import { KqlError, runKql, type Column, type Row, type Table } from './kql.js';
import type { AzureTwinState } from './state.js';

export interface MonitorTwin {
  /** What LogsQueryClient takes as `endpoint` (the API version path included). */
  endpoint: string;
  workspaceId: string;
  close(): Promise<void>;
}

const APP_REQUESTS: Column[] = [
  { name: 'TimeGenerated', type: 'datetime' },
  { name: 'Id', type: 'string' },
  { name: 'Name', type: 'string' },
  { name: 'Url', type: 'string' },
  { name: 'ResultCode', type: 'string' },
  { name: 'Success', type: 'bool' },
  { name: 'DurationMs', type: 'real' },
  { name: 'OperationName', type: 'string' },
  { name: 'AppRoleName', type: 'string' },
  { name: 'Properties', type: 'dynamic' },
];

/** The frontend records only the path; the twin's URLs name the gateway generically. */
const FRONTEND = 'https://drsentinel-gateway';

function appRequests(state: AzureTwinState, from: number, to: number): Table {
  const inRange = (at: Date) => at.getTime() >= from && at.getTime() <= to;
  const http: Row[] = state.requests.filter((r) => inRange(r.at)).map((r) => ({
    TimeGenerated: r.at,
    Id: randomUUID(),
    Name: `${r.method} ${r.path}`,
    Url: `${FRONTEND}${r.path}`,
    ResultCode: String(r.status),
    Success: r.status < 400,
    DurationMs: r.durationMs,
    OperationName: `${r.method} ${r.path}`,
    AppRoleName: 'drsentinel-api',
    Properties: {},
  }));
  const functions: Row[] = state.functionRuns.filter((r) => inRange(r.at)).map((r) => ({
    TimeGenerated: r.at,
    Id: randomUUID(),
    Name: r.functionName,
    Url: '',
    ResultCode: r.succeeded ? '0' : '1',
    Success: r.succeeded,
    DurationMs: r.durationMs,
    OperationName: r.functionName,
    AppRoleName: 'drsentinel-functions',
    Properties: {
      InvocationId: r.invocationId,
      FullName: `Functions.${r.functionName}`,
      TriggerReason: `New blob detected(LogsAndContainerScan): ${r.trigger}`,
      ...(r.message ? { Message: r.message } : {}),
    },
  }));
  return { columns: APP_REQUESTS, rows: [...http, ...functions] };
}

/** ISO 8601 duration (`PT15M`, `P1DT2H`) in milliseconds, or undefined. */
function durationMs(text: string): number | undefined {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [d = 0, h = 0, min = 0, s = 0] = m.slice(1).map((v) => Number(v ?? 0));
  return (((d * 24 + h) * 60 + min) * 60 + s) * 1000;
}

/** The interval of a `timespan`: `start/end`, `start/duration`, `duration/end` or `duration` (ending now). */
export function parseTimespan(timespan: string, now = Date.now()): { from: number; to: number } | undefined {
  const [a = '', b] = timespan.split('/');
  const date = (t: string) => (/^\d{4}-/.test(t) && !Number.isNaN(Date.parse(t)) ? Date.parse(t) : undefined);
  if (b === undefined) {
    const d = durationMs(a);
    return d === undefined ? undefined : { from: now - d, to: now };
  }
  const [startA, startB, durA, durB] = [date(a), date(b), durationMs(a), durationMs(b)];
  if (startA !== undefined && startB !== undefined) return { from: startA, to: startB };
  if (startA !== undefined && durB !== undefined) return { from: startA, to: startA + durB };
  if (durA !== undefined && startB !== undefined) return { from: startB - durA, to: startB };
  return undefined;
}

export async function startMonitorTwin(o: { host: string; tls: TwinCertificate; faults: FaultSwitch; token: string; state: AzureTwinState }): Promise<MonitorTwin> {
  const workspaceId = randomUUID();
  const badArgument = (message: string) => azureError(400, 'BadArgumentError', message);
  const router = new TwinRouter().add('POST', '/v1/workspaces/:workspace/query', ({ params, body }) => {
    if (params.workspace !== workspaceId) return azureError(404, 'WorkspaceNotFoundError', `Workspace ${params.workspace} was not found.`);
    const { query, timespan } = (body ?? {}) as { query?: unknown; timespan?: unknown };
    if (typeof query !== 'string' || query.trim() === '') return badArgument('The request had some invalid properties: query is required.');
    if (typeof timespan !== 'string') return badArgument('The request had some invalid properties: the lab twin needs a timespan.');
    const range = parseTimespan(timespan);
    if (!range) return badArgument(`The timespan "${timespan}" is not a valid ISO 8601 interval.`);
    try {
      return { status: 200, body: runKql(query, { AppRequests: appRequests(o.state, range.from, range.to) }) };
    } catch (err) {
      if (err instanceof KqlError) return badArgument(err.message);
      throw err;
    }
  });
  const twin = await startHttpsTwin({ service: 'monitor', host: o.host, tls: o.tls, faults: o.faults, router, authorize: bearerAuthorize(o.token) });
  return { endpoint: `${twin.url}/v1`, workspaceId, close: () => twin.close() };
}
