/**
 * `drsentinel serve`: load the config, open the store, build the app, listen (HTTPS when
 * service.tls is set), and shut everything down in reverse order on SIGINT / SIGTERM (or when
 * `signal` aborts).
 * Without a config file it starts the lab twin in-process and serves against it.
 */
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import { readSecret } from './config/secrets.js';
import { UsageError } from './core/errors.js';
import { describeError } from './core/result.js';
import { systemClock } from './core/clock.js';
import { importLab } from './cli/lab-loader.js';
import { loggerOptions } from './log.js';
import { LAB_STATE_DIR } from './config/paths.js';
import type { Scheduler } from './scheduler/index.js';
import { aborted, onTermination } from './cli/shutdown.js';
import { openConfiguredStore } from './store/configured.js';
import type { SqliteStore } from './store/index.js';
import { wireService } from './engines.js';
import { Leadership } from './ha/leadership.js';

export const NO_LAB_MESSAGE = 'no --config given and the lab twin is not installed (dev dependencies): give --config FILE';

export interface ServeOptions {
  configFile?: string;
  env?: NodeJS.ProcessEnv;
  /** Stops the service when aborted; without it, SIGINT / SIGTERM do. */
  signal?: AbortSignal;
  /** Where the start-up lines go (default stderr). */
  print?: (line: string) => void;
}

export interface Running {
  url: string;
  /** Resolves once everything is shut down. */
  done: Promise<void>;
}

interface LabHandle {
  configFile: string;
  stateDir: string;
  stop(): Promise<void>;
}

interface Listening {
  url: string;
  /** Stops taking connections and waits for the requests under way. */
  close(): Promise<void>;
}

function urlOf(server: HttpsServer): string {
  const { address, family, port } = server.address() as AddressInfo;
  return `https://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
}

/**
 * HTTPS with service.tls. Fastify takes TLS only when it is constructed, and the app is built
 * the same way wherever it runs (the tests inject requests without a socket), so the TLS
 * server is made here and hands every request to the app's router.
 */
async function listenTls(app: FastifyInstance, service: Config['service'], tls: NonNullable<Config['service']['tls']>, env: NodeJS.ProcessEnv): Promise<Listening> {
  let server: HttpsServer;
  try {
    server = createHttpsServer({ cert: readSecret(tls.cert, env), key: readSecret(tls.key, env) }, (req, res) => app.routing(req, res));
  } catch (err) {
    // OpenSSL's reason ("no start line", "key values mismatch") quotes no key material.
    throw new UsageError(`service.tls: the certificate and key cannot serve HTTPS: ${(err as Error).message}`, { showUsage: false });
  }
  await app.ready();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(service.port, service.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    url: urlOf(server),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** Where the API answers: plain HTTP through Fastify, or HTTPS when service.tls is set. */
async function listen(app: FastifyInstance, service: Config['service'], env: NodeJS.ProcessEnv): Promise<Listening> {
  if (service.tls) return listenTls(app, service, service.tls, env);
  // Fastify's own server: app.close(), already a cleanup, stops it.
  return { url: await app.listen({ host: service.host, port: service.port }), close: async () => {} };
}

async function startLabTwin(log: (line: string) => void): Promise<LabHandle> {
  const { startLab } = await importLab(NO_LAB_MESSAGE);
  return startLab({ stateDir: LAB_STATE_DIR, log });
}

/** How often the leader looks for runs started, decided or aborted on another replica. */
const CARRY_ON_EVERY_MS = 1000;

export async function serve(opts: ServeOptions = {}): Promise<Running> {
  const env = opts.env ?? process.env;
  const print = opts.print ?? ((line: string) => process.stderr.write(`${line}\n`));
  const termination = opts.signal ? undefined : onTermination((sig) => print(`${sig} received again: still shutting down`));
  const stopSignal = opts.signal ?? termination!.signal;

  // Everything started so far, stopped in reverse order however far start-up got.
  const cleanups: Array<() => Promise<void> | void> = [];
  const shutdown = async (log?: FastifyBaseLogger) => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        if (log) log.error({ err }, 'shutdown step failed');
        else print(`shutdown step failed: ${String(err)}`);
      }
    }
    termination?.dispose();
  };

  try {
    let configFile = opts.configFile ?? env.DRSENTINEL_CONFIG;
    let lab: LabHandle | undefined;
    if (!configFile) {
      lab = await startLabTwin(print);
      cleanups.push(() => lab!.stop());
      configFile = lab.configFile;
    }
    const { config } = loadConfig(configFile, env);

    const { store, lease } = await openConfiguredStore(config, env, {
      writer: 'drsentinel serve',
      clock: systemClock,
      onError: (err) => print(`the store dropped a connection: ${describeError(err)}`),
    });
    cleanups.push(() => store.close());

    let appLog: FastifyBaseLogger | undefined;
    const log = (level: 'info' | 'warn' | 'error', msg: string, fields?: object) => (appLog ? appLog[level](fields ?? {}, msg) : print(msg));
    // Assigned below, before anything can ask it: the engines ask it only once a run executes.
    let leadership: Leadership | undefined;
    const engines = await wireService({
      config, env, store, log,
      acting: () => leadership?.acting() ?? false,
      beforeAct: async () => leadership?.confirm(),
    });
    cleanups.push(() => engines.close());
    const { syncs, checks, runbooks, comms } = engines;

    const app = await buildApp({
      config, store, metrics: engines.metrics, clock: systemClock, syncs, checks, runbooks, comms, notifiers: engines.reportNotifiers, logger: loggerOptions(config.service.logLevel),
      role: () => leadership?.role() ?? (lease ? 'follower' : 'single'),
    });
    appLog = app.log;
    cleanups.push(() => app.close());

    let term: { scheduler: Scheduler; carryOn: NodeJS.Timeout } | undefined;
    leadership = new Leadership({
      ...(lease ? { lease } : {}),
      log,
      // What a process does when it starts to act, alone or as the new leader.
      async lead() {
        const interrupted = await store.syncs.markInterrupted();
        // Before anything is sent: a message left 'sending' by a crash waits for a person's retry, never goes twice.
        const cutShort = await comms.markInterrupted();
        if (cutShort > 0) log('warn', `${cutShort} message(s) were being sent when the service stopped: check their channels, then retry them (POST /api/v1/messages/:id/retry) only if they did not arrive`);
        const scheduler = engines.schedule();
        await scheduler.start();
        // A sync cut short by a crash or a stop is run again now: the engines converge without
        // copying again what already landed intact.
        if (interrupted > 0) {
          log('warn', `${interrupted} sync run(s) were interrupted by the last shutdown: running the syncs again`);
          // A refusal (the scheduler already stopping) must not fail the start-up; the run logs its own end.
          void scheduler.trigger('sync').catch((err: unknown) => log('error', `the interrupted syncs could not be run again: ${describeError(err)}`));
        }
        // A runbook cut short goes on from its first unfinished step; finished acts are not repeated.
        await runbooks.engine.resumeInterrupted();
        // Runs started, decided or aborted on another replica are carried on here.
        const carryOn = setInterval(() => {
          void runbooks.engine.carryOn().catch((err: unknown) => log('warn', `runs could not be read from the store: ${describeError(err)}`));
          void syncs.carryOn().catch((err: unknown) => log('warn', `queued syncs could not be taken up: ${describeError(err)}`));
        }, CARRY_ON_EVERY_MS);
        term = { scheduler, carryOn };
      },
      async follow() {
        const ending = term;
        term = undefined;
        if (ending) clearInterval(ending.carryOn);
        await ending?.scheduler.stop();
        await runbooks.engine.standDown();
        await syncs.standDown('this replica no longer leads');
      },
    });
    await leadership.start();
    cleanups.push(() => leadership!.stop());

    const listening = await listen(app, config.service, env);
    cleanups.push(() => listening.close());
    const address = listening.url;
    // The process refused the state directory is told where to go instead.
    if ('lock' in store) (store as SqliteStore).lock?.describe({ api: address });
    print(`drsentinel listening on ${address} (API docs at ${address}/docs), config ${configFile}`);
    if (lab) print(`lab twin running: endpoints in ${join(lab.stateDir, 'endpoints.json')}, demo bearer tokens under its "tokens" key`);

    const done = aborted(stopSignal).then(() => {
      app.log.info('shutting down');
      return shutdown(app.log);
    });
    return { url: address, done };
  } catch (err) {
    await shutdown();
    throw err;
  }
}
