/**
 * The lab twin, storage half: the four emulators as child processes on loopback, the fronts
 * that make them behave like the clouds (fault injection, real multipart ETags, the DynamoDB
 * export API, the static website), the stores of the demo app and its seed data, and the two
 * files a user or test starts from: `endpoints.json` and `drsentinel.yaml`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Endpoints } from './endpoints.js';
import { startEmulator, type EmulatorSpec, type RunningChild } from './children.js';
import { FaultSwitch, startControlServer } from './faults.js';
import { startProxy } from './proxy.js';
import { RequestTally } from './request-tally.js';
import { startS3Front } from './s3-front.js';
import { startDynamoFront } from './dynamodb-front.js';
import { azuriteConnectionString, COSMOS_KEY, emulatorSpecs, S3RVER_CREDENTIALS } from './emulators.js';
import { startWebsite } from './website.js';
import { startDnsTwin } from './dns.js';
import { startSmtpSink, type SmtpSink } from './smtp.js';
import { startWebhookSink, type WebhookSink } from './webhook.js';
import { startCloudWatchTwin, type CloudWatchTwin } from './aws/cloudwatch.js';
import { labClients } from './clients.js';
import { createStores } from './stores.js';
import { seedDemo } from './seed.js';
import { demoTokens, LAB_MAX_TTL_SECONDS, writeConfigFile } from './config-file.js';
import { makeTwinCertificate } from './tls.js';
import { startAlbTwin, type AlbTwin } from './aws/alb.js';
import { startAzureTwins, type AzureTwins } from './azure/index.js';

export interface LabOptions {
  stateDir: string;
  /** Create the stores but write no demo data. */
  empty?: boolean;
  log?: (line: string) => void;
  /** Port of the drsentinel service that the generated config describes (default 8080). */
  servicePort?: number;
}

export interface Lab {
  stateDir: string;
  endpoints: Endpoints;
  configFile: string;
  faults: FaultSwitch;
  /** Requests served by the S3, Blob and Cosmos fronts (benchmarks read it). */
  requests: RequestTally;
  /** The Azure control-plane twins, for tests that break or inspect them in-process. */
  azure: AzureTwins;
  /** The SMTP sink: every message drsentinel sent, parsed. */
  mail: SmtpSink;
  /** The webhook receiver: every notification POSTed, with its headers. */
  webhook: WebhookSink;
  /** The CloudWatch twin: datapoints and alarms, evaluated. */
  cloudwatch: CloudWatchTwin;
  /** The production API behind AWS's load balancer, for the rollback's re-validation. */
  alb: AlbTwin;
  /** The emulator processes, for whoever must prove they are gone. */
  children: ReadonlyArray<{ name: string; pid: number }>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** The demo zone served by the DNS twin; its standby record `dr.<zone>` (R5 check 7). */
const DNS_ZONE = 'drsentinel.test';
/** Where the Application Gateway twin's public frontend listens (the ARM half of the lab). */
const GATEWAY_PUBLIC_IP = '127.0.0.80';
/** Where the demo app's names point before a cutover: "AWS". */
const AWS_PUBLIC_IP = '127.0.0.90';

const S3_KEY = S3RVER_CREDENTIALS.accessKeyId;
const REGION = 'us-east-1';
const LAB_MIN_INCREMENTAL_WINDOW_MS = 1000;

/** Starts every emulator; if one fails, the others are stopped before the error is thrown. */
async function startEmulators(specs: EmulatorSpec[], log?: (line: string) => void): Promise<RunningChild[]> {
  const started = await Promise.allSettled(specs.map((spec) => startEmulator(spec, HOST, log)));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  if (failed) {
    await Promise.all(running.map((c) => c.stop()));
    throw failed.reason;
  }
  return running;
}

export async function startLab(opts: LabOptions): Promise<Lab> {
  const stateDir = resolve(opts.stateDir);
  const dataDir = join(stateDir, 'data');
  const log = opts.log ?? (() => {});
  const began = Date.now();
  const step = (what: string) => log(`lab: ${what} (${Date.now() - began} ms)`);

  // The twin is ephemeral like a fresh cloud account: the Cosmos emulator keeps nothing anyway.
  await rm(dataDir, { recursive: true, force: true });
  await Promise.all(['s3', 's3-front', 'dynamodb-front'].map((d) => mkdir(join(dataDir, d), { recursive: true })));

  const closers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => {});
  };

  try {
    const specs = emulatorSpecs(dataDir, HOST);
    const children = await startEmulators([specs.s3, specs.dynamodb, specs.blob, specs.cosmos], log);
    closers.push(() => Promise.all(children.map((c) => c.stop())).then(() => undefined));
    const [s3rver, dynalite, azurite, cosmos] = children.map((c) => `http://${HOST}:${c.port}`) as [string, string, string, string];
    step('emulators answer');

    const faults = new FaultSwitch();
    const requests = new RequestTally();
    const fronts = await Promise.all([
      startS3Front({ upstream: s3rver, upstreamDirectory: join(dataDir, 's3'), host: HOST, stateDir: join(dataDir, 's3-front'), faults, tally: requests }),
      startDynamoFront({
        upstream: dynalite,
        host: HOST,
        stateDir: join(dataDir, 'dynamodb-front'),
        faults,
        // Exports are written by the service itself, not by the client: straight to s3rver,
        // past the client-facing fault switch.
        s3: { endpoint: s3rver, region: REGION, accessKeyId: S3_KEY, secretAccessKey: S3_KEY },
        // AWS's 15-minute floor would make an incremental export untestable; the lab config says 1 s too.
        minIncrementalWindowMs: LAB_MIN_INCREMENTAL_WINDOW_MS,
      }),
      startProxy({ upstream: azurite, host: HOST, service: 'blob', faults, tally: requests }),
      startProxy({ upstream: cosmos, host: HOST, service: 'cosmos', faults, tally: requests }),
      startControlServer(faults, HOST),
    ]);
    for (const front of fronts) closers.push(() => front.close());
    const [s3Front, dynamoFront, blobFront, cosmosFront, control] = fronts;

    const connectionString = azuriteConnectionString(blobFront.url);
    const website = await startWebsite({ blobService: connectionString, container: '$web', host: HOST });
    closers.push(() => website.close());
    const dns = await startDnsTwin({
      zone: DNS_ZONE,
      records: [
        { name: `dr.${DNS_ZONE}`, type: 'A', values: [GATEWAY_PUBLIC_IP], ttl: LAB_MAX_TTL_SECONDS },
        // The demo app's public names still point at AWS, with a TTL above what the lab config
        // allows for a cutover (LAB_MAX_TTL_SECONDS): a drill lowers it and waits it out first,
        // in seconds rather than the hour a production TTL would take.
        ...['www', 'api'].map((name) => ({ name: `${name}.${DNS_ZONE}`, type: 'A' as const, values: [AWS_PUBLIC_IP], ttl: 5 })),
      ],
      hosts: { authoritative: '127.0.0.53', resolvers: ['127.0.0.54', '127.0.0.55', '127.0.0.56'] },
      faults,
    });
    closers.push(() => dns.close());
    const mail = await startSmtpSink({ host: HOST, faults });
    closers.push(() => mail.close());
    const webhook = await startWebhookSink({ host: HOST, token: randomBytes(24).toString('base64url'), faults });
    closers.push(() => webhook.close());
    const alb = await startAlbTwin({ host: AWS_PUBLIC_IP });
    closers.push(() => alb.close());
    step('fronts listen');

    const tls = await makeTwinCertificate(join(stateDir, 'tls'), [HOST]);
    const azureTwins = await startAzureTwins({
      host: HOST,
      tls,
      faults,
      dns,
      blob: { connectionString, uploadsContainer: 'uploads' },
      cosmos: { endpoint: cosmosFront.url, key: COSMOS_KEY, database: 'drsentinel', container: 'images' },
      gatewayPublicIp: GATEWAY_PUBLIC_IP,
      log,
    });
    closers.push(() => azureTwins.close());
    const cloudwatch = await startCloudWatchTwin({ host: HOST, tls, faults, region: REGION, accessKeyId: S3_KEY });
    closers.push(() => cloudwatch.close());
    step('Azure control plane twins listen');

    const tokens = demoTokens();
    const endpoints: Endpoints = {
      aws: {
        region: REGION,
        accessKeyId: S3_KEY,
        secretAccessKey: S3_KEY,
        s3: { endpoint: s3Front.url, buckets: { site: 'demo-site', uploads: 'demo-uploads', exports: 'demo-exports' } },
        dynamodb: { endpoint: dynamoFront.url, table: 'images' },
        cloudwatch: { endpoint: cloudwatch.endpoint, ca: tls.caFile },
        alb: { url: alb.url, healthUrls: alb.healthUrls },
      },
      azure: {
        blob: { connectionString, websiteUrl: website.url, containers: { site: '$web', uploads: 'uploads', staging: 'staging' } },
        cosmos: { endpoint: cosmosFront.url, key: COSMOS_KEY, database: 'drsentinel', container: 'images' },
        arm: { ...azureTwins.arm, ca: tls.caFile },
        functionApp: azureTwins.functionApp,
        cosmosAccount: azureTwins.cosmosAccount,
        dnsZone: azureTwins.dnsZone,
        keyVault: azureTwins.keyVault,
        monitor: azureTwins.monitor,
        vmss: { name: azureTwins.vmss.name },
        appGateway: { name: azureTwins.appGateway.name, url: azureTwins.appGateway.url, publicIp: azureTwins.appGateway.publicIp },
      },
      dns: { zone: DNS_ZONE, authoritative: dns.authoritative, resolvers: dns.resolvers },
      service: { url: `http://127.0.0.1:${opts.servicePort ?? 8080}` },
      smtp: { host: mail.host, port: mail.port },
      webhook: { url: webhook.url, token: webhook.token },
      tokens,
      lab: { control: control.url },
    };

    const clients = labClients(endpoints);
    try {
      await createStores(endpoints, clients);
      step('stores created');
      if (!opts.empty) {
        await seedDemo({ s3: clients.s3, dynamodb: clients.dynamodb, buckets: endpoints.aws.s3.buckets, table: endpoints.aws.dynamodb.table });
        step('demo data seeded');
      }
    } finally {
      clients.destroy();
    }

    await writeFile(join(stateDir, 'endpoints.json'), `${JSON.stringify(endpoints, null, 2)}\n`, { mode: 0o600 });
    const configFile = await writeConfigFile(stateDir, endpoints, tokens, opts.servicePort ?? 8080);
    step('ready');
    return {
      stateDir,
      endpoints,
      configFile,
      faults,
      requests,
      azure: azureTwins,
      mail,
      webhook,
      cloudwatch,
      alb,
      children: children.map(({ name, pid }) => ({ name, pid })),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
