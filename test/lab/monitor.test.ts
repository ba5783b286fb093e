import t from 'tap';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { LogsQueryClient, LogsQueryResultStatus } from '@azure/monitor-query-logs';
import { parseTimespan } from '../../lab/azure/monitor.js';
import { buildAppLogs, functionRunsQuery, REQUEST_STATUSES_QUERY } from '../../src/adapters/azure/monitor.js';
import { azureCredential, clientOptions } from '../../src/adapters/azure/credential.js';
import { UsageError } from '../../src/core/errors.js';
import { monitorAlone } from '../helpers/azure-twin.js';

const { config, env, token, endpoint, workspaceId, ca, state } = await monitorAlone(t);
const client = new LogsQueryClient(azureCredential(config, env), clientOptions(endpoint, ca));
const logs = buildAppLogs(config, env);
const HOUR_MS = 60 * 60 * 1000;
const ago = (ms: number) => new Date(Date.now() - ms);
const lastHour = () => ({ startTime: ago(HOUR_MS), endTime: new Date() });

const request = (status: number, at = new Date()) => state.recordRequest({ at, method: 'GET', path: '/api/images', status, durationMs: 12 });
const functionRun = (trigger: string, succeeded: boolean, at = new Date()) =>
  state.recordFunctionRun({ at, functionName: 'convert', invocationId: `inv-${trigger}`, trigger: `uploads/${trigger}`, succeeded, durationMs: 40, ...(succeeded ? {} : { message: 'boom' }) });

t.test('HTTP requests come back counted by status code, within the timespan only', async (t) => {
  t.same(await logs.requestStatuses(ago(HOUR_MS)), {}, 'an empty workspace counts nothing');
  for (const status of [200, 200, 200, 404, 500]) request(status);
  request(503, ago(2 * HOUR_MS));
  functionRun('not-an-http-request.png', true);
  t.same(await logs.requestStatuses(ago(HOUR_MS)), { '200': 3, '404': 1, '500': 1 });
  t.same(await logs.requestStatuses(ago(3 * HOUR_MS)), { '200': 3, '404': 1, '500': 1, '503': 1 });
});

t.test('function runs come back in time order with their invocation id and blob trigger', async (t) => {
  functionRun('a.png', true, ago(2000));
  functionRun('b.png', false, ago(1000));
  state.recordFunctionRun({ at: new Date(), functionName: 'other', invocationId: 'x', trigger: 'uploads/c.png', succeeded: true, durationMs: 1 });
  const runs = await logs.functionRuns('convert', ago(60_000));
  t.same(
    runs.filter((r) => r.trigger !== 'uploads/not-an-http-request.png').map((r) => ({ ...r, at: r.at instanceof Date })),
    [
      { functionName: 'convert', invocationId: 'inv-a.png', trigger: 'uploads/a.png', succeeded: true, at: true, durationMs: 40 },
      { functionName: 'convert', invocationId: 'inv-b.png', trigger: 'uploads/b.png', succeeded: false, at: true, durationMs: 40 },
    ],
  );
  t.same(await logs.functionRuns('convert', new Date(Date.now() + 60_000)), [], 'nothing after now');
});

t.test('the twin answers the SDK in the Log Analytics table format, with a duration timespan too', async (t) => {
  const result = await client.queryWorkspace(workspaceId, REQUEST_STATUSES_QUERY, { duration: 'PT1H' });
  t.equal(result.status, LogsQueryResultStatus.Success);
  if (result.status !== LogsQueryResultStatus.Success) return;
  t.same(result.tables[0]!.columnDescriptors, [{ name: 'ResultCode', type: 'string' }, { name: 'Count', type: 'long' }]);
  const runs = await client.queryWorkspace(workspaceId, functionRunsQuery('convert'), lastHour());
  if (runs.status !== LogsQueryResultStatus.Success) return t.fail('the query failed');
  const properties = runs.tables[0]!.rows[0]![4] as Record<string, unknown>;
  t.match(properties, { InvocationId: String, FullName: 'Functions.convert', TriggerReason: /^New blob detected\(LogsAndContainerScan\): uploads\// });
});

t.test('any other query is refused with BadArgumentError, as Log Analytics refuses it', async (t) => {
  for (const query of ['AppTraces | take 5', 'AppRequests | take 5', 'AppRequests | where Nope == "x"', 'AppRequests | summarize count() by bin(TimeGenerated, 1h)']) {
    await t.rejects(client.queryWorkspace(workspaceId, query, lastHour()), { statusCode: 400, code: 'BadArgumentError' }, query);
  }
  await t.rejects(client.queryWorkspace('00000000-0000-0000-0000-000000000000', REQUEST_STATUSES_QUERY, lastHour()), { name: 'RestError', statusCode: 404 }, 'an unknown workspace answers 404');
});

t.test('a query without a timespan is refused', async (t) => {
  const body = JSON.stringify({ query: REQUEST_STATUSES_QUERY });
  const status = await new Promise<number>((resolve, reject) => {
    const req = https.request(`${endpoint}/workspaces/${workspaceId}/query`, { method: 'POST', ca: readFileSync(ca), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      res.resume().on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject).end(body);
  });
  t.equal(status, 400);
});

t.test('timespans: start/end, start/duration, duration/end and a bare duration', async (t) => {
  const now = Date.parse('2026-11-01T12:00:00Z');
  t.same(parseTimespan('2026-11-01T10:00:00.000Z/2026-11-01T11:00:00.000Z', now), { from: Date.parse('2026-11-01T10:00:00Z'), to: Date.parse('2026-11-01T11:00:00Z') });
  t.same(parseTimespan('2026-11-01T10:00:00Z/PT30M', now), { from: Date.parse('2026-11-01T10:00:00Z'), to: Date.parse('2026-11-01T10:30:00Z') });
  t.same(parseTimespan('P1D/2026-11-01T10:00:00Z', now), { from: Date.parse('2026-10-31T10:00:00Z'), to: Date.parse('2026-11-01T10:00:00Z') });
  t.same(parseTimespan('PT1H30M', now), { from: now - 90 * 60_000, to: now });
  t.equal(parseTimespan('yesterday', now), undefined);
  t.equal(parseTimespan('PT', now), undefined);
});

t.test('without azure.monitor the adapter names the missing section', async (t) => {
  t.throws(() => buildAppLogs({ ...config, azure: { ...config.azure, monitor: undefined } }, env), new UsageError('the application logs checks need azure.monitor (workspaceId)'));
});
