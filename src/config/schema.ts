/**
 * The configuration, one YAML file plus environment overrides. Every threshold of the
 * runbook is here with the runbook's default. Secrets are never literal: they name an
 * environment variable or a file (`{ env: NAME }` / `{ file: PATH }`).
 *
 * Two custom schema keywords are read by the loader (src/config/load.ts):
 * - `expected`: how a validation message describes a pattern-checked string to a person;
 * - `filePath: true`: a path the loader resolves against the config file's folder.
 * A union marked `secret: true` is a secret reference.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ROLES } from '../core/roles.js';

const Secret = Type.Union(
  [
    Type.Object({ env: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
    Type.Object({ file: Type.String({ minLength: 1, filePath: true }) }, { additionalProperties: false }),
  ],
  { description: 'a secret: { env: VAR } or { file: PATH }, never a literal value', secret: true },
);
export type SecretRef = Static<typeof Secret>;

const Url = Type.String({ pattern: '^https?://', description: 'an http(s) URL', expected: 'an http(s) URL' });
const TimeOfDay = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM, UTC', expected: 'a time of day HH:MM (UTC, 00:00–23:59)' });
const Ratio = (def: number, description: string) => Type.Number({ minimum: 0, maximum: 1, default: def, description });
const Positive = (def: number, description: string) => Type.Integer({ minimum: 1, default: def, description });
const Role = Type.Union(ROLES.map((r: string) => Type.Literal(r)));

/** Adapter options that exist because of emulators; set from config, never in engines. */
const CaFile = Type.Optional(Type.String({ minLength: 1, filePath: true, description: 'PEM file of a private CA to trust for this endpoint (lab twins)' }));

const Service = Type.Object(
  {
    host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'address the HTTP API listens on' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'TCP port of the HTTP API (0: any free port)' }),
    stateDir: Type.String({ minLength: 1, default: '.state', filePath: true, description: 'where the SQLite store and reports live' }),
    logLevel: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)), { default: 'info', description: 'least severe log level written' }),
    tls: Type.Optional(
      Type.Object(
        { cert: Secret, key: Secret },
        { additionalProperties: false, description: 'serve HTTPS: the PEM certificate (with its chain) and its private key, both required; absent: plain HTTP' },
      ),
    ),
  },
  { additionalProperties: false, default: {} },
);

const Store = Type.Object(
  {
    postgres: Type.Optional(
      Type.Object(
        { url: Secret },
        { additionalProperties: false, description: 'run as one of several replicas on a shared PostgreSQL store (postgres://user:password@host:port/db); absent: the embedded SQLite store under service.stateDir, one process' },
      ),
    ),
    leaseSeconds: Type.Integer({ minimum: 3, maximum: 300, default: 15, description: 'with PostgreSQL: a follower leads at most this long after the leader last renewed its lease (renewed every fifth of it; a lease lasts four fifths of it unrenewed)' }),
  },
  { additionalProperties: false, default: {} },
);

const Auth = Type.Object(
  {
    tokens: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, description: 'who holds the token, for the audit log' }),
          sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'hex SHA-256 of the bearer token', expected: '64 lowercase hex digits (the SHA-256 of the token)' }),
          roles: Type.Array(Role, { minItems: 1 }),
        },
        { additionalProperties: false },
      ),
      { default: [] },
    ),
  },
  { additionalProperties: false, default: {} },
);

const Aws = Type.Object(
  {
    region: Type.String({ minLength: 1 }),
    accessKeyId: Type.Optional(Secret),
    secretAccessKey: Type.Optional(Secret),
    s3: Type.Object(
      {
        endpoint: Type.Optional(Url),
        forcePathStyle: Type.Boolean({ default: false }),
        /** s3rver stores aws-chunked framing inside streamed objects unless checksums are only sent when required. */
        checksumsWhenRequiredOnly: Type.Boolean({ default: false }),
        buckets: Type.Object(
          {
            site: Type.String({ minLength: 3 }),
            uploads: Type.String({ minLength: 3 }),
            exports: Type.String({ minLength: 3 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    dynamodb: Type.Object(
      {
        endpoint: Type.Optional(Url),
        table: Type.String({ minLength: 3 }),
        tableArn: Type.Optional(Type.String()),
        updatedAttribute: Type.Optional(Type.String({ minLength: 1, description: "the item attribute holding its last write time (ISO text, epoch seconds or milliseconds): a reverse conflict shows AWS's time from it" })),
      },
      { additionalProperties: false },
    ),
    cloudwatch: Type.Optional(
      Type.Object(
        {
          endpoint: Type.Optional(Url),
          ca: CaFile,
          namespace: Type.String({ minLength: 1, default: 'drsentinel', description: 'CloudWatch namespace of the sync failure metric' }),
          alarmPrefix: Type.String({ minLength: 1, default: 'drsentinel-sync-failed', description: 'name prefix of the per-flow alarms (R4)' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Azure = Type.Object(
  {
    blob: Type.Object(
      {
        connectionString: Secret,
        websiteUrl: Url,
        containers: Type.Object(
          {
            site: Type.String({ default: '$web' }),
            uploads: Type.String({ minLength: 3 }),
            staging: Type.String({ minLength: 3 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    cosmos: Type.Object(
      {
        endpoint: Url,
        key: Secret,
        database: Type.String({ minLength: 1 }),
        container: Type.String({ minLength: 1 }),
        /** The Cosmos emulator advertises an unreachable https address; endpoint discovery must be off against it. */
        endpointDiscovery: Type.Boolean({ default: true }),
      },
      { additionalProperties: false },
    ),
    /** How drsentinel signs in to Azure; absent: the default chain of @azure/identity (managed identity, environment, CLI). */
    credential: Type.Optional(
      Type.Union([
        Type.Object({ token: Secret }, { additionalProperties: false, description: 'a fixed bearer token (the lab twins)' }),
        Type.Object(
          { tenantId: Type.String({ minLength: 1 }), clientId: Type.String({ minLength: 1 }), clientSecret: Secret },
          { additionalProperties: false, description: 'a service principal' },
        ),
      ]),
    ),
    arm: Type.Optional(
      Type.Object(
        {
          endpoint: Type.Unsafe<string>({ ...Url, default: 'https://management.azure.com' }),
          subscriptionId: Type.String({ minLength: 1 }),
          resourceGroup: Type.String({ minLength: 1 }),
          ca: CaFile,
          pollIntervalMs: Positive(2000, 'how often a long-running Azure operation is polled, in milliseconds'),
        },
        { additionalProperties: false },
      ),
    ),
    vmss: Type.Optional(Type.Object({ name: Type.String({ minLength: 1 }) }, { additionalProperties: false })),
    appGateway: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1 }),
          /** Where the standby API answers through the gateway, e.g. https://dr.example.com; default http://<its public IP>. */
          url: Type.Optional(Url),
        },
        { additionalProperties: false },
      ),
    ),
    functionApp: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1 }),
          conversionFunction: Type.String({ minLength: 1, default: 'convert', description: 'the function triggered by new uploads (R5 check 3, R11)' }),
        },
        { additionalProperties: false },
      ),
    ),
    keyVault: Type.Optional(
      Type.Object(
        {
          url: Url,
          certificate: Type.String({ minLength: 1, description: 'name of the wildcard certificate (R5 check 6)' }),
          ca: CaFile,
        },
        { additionalProperties: false },
      ),
    ),
    monitor: Type.Optional(
      Type.Object(
        {
          endpoint: Type.Unsafe<string>({ ...Url, default: 'https://api.loganalytics.io/v1' }),
          workspaceId: Type.String({ minLength: 1 }),
          ca: CaFile,
        },
        { additionalProperties: false },
      ),
    ),
    dnsZone: Type.Optional(
      Type.Object(
        {
          zone: Type.String({ minLength: 1, description: 'the Azure DNS zone, e.g. example.com' }),
          resourceGroup: Type.Optional(Type.String({ minLength: 1, description: 'default: azure.arm.resourceGroup' })),
        },
        { additionalProperties: false },
      ),
    ),
    /** The Cosmos account's ARM name, for throughput changes (R8, R12). */
    cosmosAccount: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);

const Dns = Type.Object(
  {
    authoritative: Type.Optional(Type.String({ description: 'host:port of the zone authority' })),
    resolvers: Type.Array(Type.String({ description: 'host[:port] of a public resolver' }), { default: [] }),
    standbyRecord: Type.Optional(Type.String({ minLength: 1, description: 'the standby name that must point at the Application Gateway (R5 check 7), e.g. dr.example.com' })),
  },
  { additionalProperties: false, default: {} },
);

const Sync = Type.Object(
  {
    dailyAt: Type.Unsafe<string>({ ...TimeOfDay, default: '03:00', description: 'start of the daily sync window, UTC' }),
    windowHours: Positive(2, 'the sync must be done within this many hours'),
    rpoHours: Positive(24, 'recovery point objective'),
    transfers: Positive(16, 'concurrent object transfers'),
    checkers: Positive(16, 'concurrent object comparisons'),
    uploadsSampleSize: Positive(10, 'latest uploads whose MD5s are compared (R2)'),
    metadataSampleRatio: Ratio(0.1, 'share of metadata items whose hashes are compared (R3)'),
    metadataExport: Type.Union([Type.Literal('point-in-time'), Type.Literal('scan')], { default: 'point-in-time', description: 'how DynamoDB is read: a point-in-time export (needs PITR) or a table scan' }),
    importBatchSize: Positive(100, 'items per bulk write into Cosmos (its bulk API takes at most 100)'),
    importConcurrency: Positive(4, 'concurrent bulk writes into Cosmos'),
    exportPrefix: Type.String({ minLength: 1, default: 'drsentinel/exports', description: 'key prefix of the DynamoDB exports in the exports bucket' }),
    exportPollMs: Positive(5000, 'how often a running DynamoDB export is polled, in milliseconds'),
    exportTimeoutMinutes: Positive(60, 'a DynamoDB export not done by then fails the run'),
    incrementalMinWindowSeconds: Positive(900, 'shortest incremental export window DynamoDB accepts (15 minutes)'),
    maxDeleteRatio: Ratio(0.25, 'a run that would delete more than this share of the destination (and more than maxDeleteMinimum) deletes nothing'),
    maxDeleteMinimum: Type.Integer({ minimum: 0, default: 10, description: 'deletes up to this many always pass the mass-delete brake' }),
    requestTimeoutSeconds: Positive(60, 'every outbound call (connect, request, a stalled body) gives up after this many seconds'),
    reverseConflicts: Type.Union([Type.Literal('fail'), Type.Literal('keep-aws')], {
      default: 'fail',
      description: "a reverse write that would overwrite what AWS changed after the contingency began is never made; fail: such a conflict fails the run, class conflict; keep-aws: AWS's version stays and the run passes, the conflicts still reported",
    }),
    runDeadlineHours: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'a run still going after this many hours ends failed, class timeout (default: twice windowHours)' })),
  },
  { additionalProperties: false, default: {} },
);

const Checks = Type.Object(
  {
    probeEveryMinutes: Positive(5, 'how often the probes run'),
    monthlyAt: Type.Unsafe<string>({ ...TimeOfDay, default: '09:00', description: 'time of the monthly validation on the first Monday, UTC' }),
    timeoutSeconds: Positive(60, 'per-check timeout'),
    historySize: Positive(50, 'results kept per check'),
    certificateMinDays: Positive(30, 'the TLS certificate must be valid for more than this'),
    maxTtlSeconds: Positive(300, 'largest DNS TTL allowed before cutover'),
    minResolvers: Positive(3, 'distinct resolvers that must agree'),
    e2eWaitSeconds: Positive(120, 'how long the end-to-end test waits for the conversion function (R11)'),
    maxErrorRatio: Ratio(0.05, 'share of 4xx/5xx answers in the application logs above which R12 fails'),
  },
  { additionalProperties: false, default: {} },
);

const Activation = Type.Object(
  {
    proceedRatio: Ratio(0.95, 'integrity at or above which the Incident Commander may proceed'),
    ctoRatio: Ratio(0.9, 'integrity below which the CTO must decide'),
    cosmosActiveRu: Positive(4000, 'Cosmos RU/s during active operation'),
    cosmosStandbyRu: Positive(400, 'Cosmos RU/s in warm standby'),
    vmssActive: Positive(2, 'API instances during active operation'),
    vmssStandby: Type.Integer({ minimum: 0, default: 0, description: 'API instances in warm standby' }),
    runbookReference: Type.String({ minLength: 1, default: 'DR runbook, phase 2 (activation)', description: 'named in the announcement (R6)' }),
    warRoom: Type.Record(Type.String(), Type.Array(Type.String({ minLength: 1 })), {
      default: {},
      description: 'the war room: role (tech-lead, devops, sre, cto, product-manager) → the people who hold it (R6)',
    }),
    cutover: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, description: 'record name in azure.dnsZone, relative (www, api, @)' }),
          target: Type.Union([Type.Literal('gateway'), Type.Literal('website')], { description: 'gateway: A to its public IP; website: CNAME to the Blob website host' }),
          aws: Type.Object(
            { type: Type.Union([Type.Literal('A'), Type.Literal('CNAME')]), values: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }) },
            { additionalProperties: false, description: 'what the record holds in production, restored by the rollback' },
          ),
        },
        { additionalProperties: false },
      ),
      { default: [], description: 'the names moved to Azure by the cutover (R9) and back by the rollback (R13)' },
    ),
    awsHealthUrls: Type.Array(Type.Unsafe<string>(Url), { default: [], description: 'the ALB health URL and the critical endpoints that must answer 200 before a rollback (R13)' }),
    propagationMarginSeconds: Positive(60, 'added to the old TTL when waiting for the resolvers to agree (R9)'),
    stepTimeoutMinutes: Positive(60, 'a runbook step not done by then fails'),
    quietPeriodSeconds: Positive(300, 'after the DNS cutback, the rollback carries back what Azure took in once no write has landed there for this long, then scales it down'),
    fourEyes: Type.Boolean({ default: false, description: 'nobody decides a gate of their own run or approves an external message they wrote' }),
  },
  { additionalProperties: false, default: {} },
);

const Email = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'SMTP server' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 587 }),
    secure: Type.Boolean({ default: false, description: 'TLS from the first byte (port 465); otherwise STARTTLS when offered' }),
    user: Type.Optional(Type.String({ minLength: 1 })),
    password: Type.Optional(Secret),
    from: Type.String({ minLength: 3 }),
    techLead: Type.String({ minLength: 3, description: 'who receives the monthly readiness report (R5, R18)' }),
    devops: Type.Array(Type.String({ minLength: 3 }), { default: [], description: 'who receives sync alerts (R4)' }),
  },
  { additionalProperties: false },
);

const Notify = Type.Object(
  {
    email: Type.Optional(Email),
    /** External communications (R15) go here once a CTO approved them: a status page's webhook. */
    statusPage: Type.Optional(Type.Object({ url: Url, token: Type.Optional(Secret) }, { additionalProperties: false })),
    webhook: Type.Optional(
      Type.Object(
        {
          url: Url,
          /** Sent as `Authorization: Bearer …` when set. */
          token: Type.Optional(Secret),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, default: {} },
);

export const ConfigSchema = Type.Object(
  {
    service: Service,
    store: Store,
    auth: Auth,
    aws: Aws,
    azure: Azure,
    dns: Dns,
    sync: Sync,
    checks: Checks,
    activation: Activation,
    notify: Notify,
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;
export type AnySchema = TSchema;
