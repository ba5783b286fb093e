/**
 * The readiness checks: every check's latest result, one check's history, and a run now.
 * A run answers when its checks have ended (each is bounded by checks.timeoutSeconds); asking
 * for a suite already running joins that run and answers its summary. Starting one reaches
 * into the standby (the Cosmos check writes a probe document): operators and above, audited.
 */
import type { FastifyInstance } from 'fastify';
import { isSuite, SUITES } from '../../checks/suite-names.js';
import type { CheckRunner } from '../../checks/runner.js';
import { NotFoundError } from '../../core/errors.js';
import type { Store } from '../../store/types.js';
import { CheckList, History, HistoryParams, HistoryQuery, RunParams, RunReply } from './schema.js';

export interface CheckRoutesOptions {
  runner: CheckRunner;
  store: Store;
}

export default async function checks(app: FastifyInstance, opts: CheckRoutesOptions): Promise<void> {
  const { runner, store } = opts;

  app.get(
    '/api/v1/checks',
    { schema: { summary: "Every check's latest result and how much history is kept", tags: ['checks'], response: { 200: CheckList } } },
    async () => {
      const key = (suite: string, check: string) => `${suite}/${check}`;
      const historyLengths = await store.checks.historyLengths();
      const latest = new Map((await store.checks.latest()).map((r) => [key(r.suite, r.check), r.result]));
      const lengths = new Map(historyLengths.map((h) => [key(h.suite, h.check), h.length]));
      const registered = SUITES.flatMap((suite) => runner.checkIds(suite).map((check) => ({ suite, check })));
      const registeredKeys = new Set(registered.map((r) => key(r.suite, r.check)));
      const retired = historyLengths.filter((h) => !registeredKeys.has(key(h.suite, h.check)));
      return {
        checks: [
          ...registered.map((r) => ({ ...r, registered: true })),
          ...retired.map((h) => ({ suite: h.suite, check: h.check, registered: false })),
        ].map((c) => ({ ...c, latest: latest.get(key(c.suite, c.check)) ?? null, historyLength: lengths.get(key(c.suite, c.check)) ?? 0 })),
        running: SUITES.filter((s) => runner.isRunning(s)),
      };
    },
  );

  app.get<{ Params: HistoryParams; Querystring: HistoryQuery }>(
    '/api/v1/checks/:suite/:check/history',
    { schema: { summary: "One check's kept results, newest first", tags: ['checks'], params: HistoryParams, querystring: HistoryQuery, response: { 200: History } } },
    async (request) => {
      const { suite, check } = request.params;
      const records = await store.checks.history(suite, check, request.query.limit);
      if (records.length === 0 && !(isSuite(suite) && runner.checkIds(suite).includes(check))) {
        throw new NotFoundError(`no check ${check} in suite ${suite}`);
      }
      return { suite, check, results: records.map((r) => r.result) };
    },
  );

  app.post<{ Params: RunParams }>(
    '/api/v1/checks/:suite/run',
    {
      config: { roles: ['operator', 'sre', 'tech-lead', 'cto'] },
      schema: { summary: 'Run a suite now (or join its run) and answer its results', tags: ['checks'], params: RunParams, response: { 200: RunReply } },
    },
    async (request) => {
      const { suite } = request.params;
      await store.audit.append({ actor: request.principal!.name, action: 'check.run', target: suite, details: {} });
      return { suites: await runner.runMany(suite) };
    },
  );
}
