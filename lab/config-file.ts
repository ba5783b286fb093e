/**
 * The lab's `drsentinel.yaml`: a config for src/config/schema.ts pointing at the twin, with
 * its secrets in 0600 files beside it and one demo bearer token per role (stored hashed).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Config, SecretRef } from '../src/config/schema.js';
import { ROLES, type RoleName } from '../src/core/roles.js';
import type { Endpoints } from './endpoints.js';

/** The lab's R9 TTL limit (checks.maxTtlSeconds): short, so a drill's DNS waits take seconds. */
export const LAB_MAX_TTL_SECONDS = 2;

/** One demo person per role, and a second tech lead and CTO for four eyes (activation.fourEyes). */
export const DEMO_HOLDERS = [...ROLES, 'tech-lead-2', 'cto-2'] as const;
export type DemoHolder = (typeof DEMO_HOLDERS)[number];
export type DemoTokens = Record<DemoHolder, string>;

const roleOf = (holder: DemoHolder): RoleName => holder.replace(/-2$/, '') as RoleName;

export function demoTokens(): DemoTokens {
  return Object.fromEntries(DEMO_HOLDERS.map((holder) => [holder, randomBytes(24).toString('base64url')])) as DemoTokens;
}

async function secretFile(dir: string, name: string, value: string): Promise<SecretRef> {
  const file = join(dir, name);
  await writeFile(file, value, { mode: 0o600 });
  return { file };
}

type LabConfig = Pick<Config, 'service' | 'auth' | 'aws' | 'azure' | 'dns' | 'notify'> & {
  sync: Partial<Config['sync']>;
  checks: Partial<Config['checks']>;
  activation: Partial<Config['activation']>;
};

/** Writes the secret files and the YAML; returns the YAML's path. */
export async function writeConfigFile(stateDir: string, endpoints: Endpoints, tokens: DemoTokens, servicePort: number): Promise<string> {
  const secrets = join(stateDir, 'secrets');
  await mkdir(secrets, { recursive: true, mode: 0o700 });
  const { aws, azure } = endpoints;
  const config: LabConfig = {
    service: { host: '127.0.0.1', port: servicePort, stateDir: join(stateDir, 'state'), logLevel: 'info' },
    auth: {
      tokens: DEMO_HOLDERS.map((holder) => ({
        name: `demo-${holder}`,
        sha256: createHash('sha256').update(tokens[holder]).digest('hex'),
        roles: [roleOf(holder)],
      })),
    },
    aws: {
      region: aws.region,
      accessKeyId: await secretFile(secrets, 'aws-access-key-id', aws.accessKeyId),
      secretAccessKey: await secretFile(secrets, 'aws-secret-access-key', aws.secretAccessKey),
      s3: { endpoint: aws.s3.endpoint, forcePathStyle: true, checksumsWhenRequiredOnly: true, buckets: { ...aws.s3.buckets } },
      dynamodb: { endpoint: aws.dynamodb.endpoint, table: aws.dynamodb.table },
      cloudwatch: { endpoint: aws.cloudwatch.endpoint, ca: aws.cloudwatch.ca, namespace: 'drsentinel', alarmPrefix: 'drsentinel-sync-failed' },
    },
    azure: {
      blob: {
        connectionString: await secretFile(secrets, 'blob-connection-string', azure.blob.connectionString),
        websiteUrl: azure.blob.websiteUrl,
        containers: { ...azure.blob.containers },
      },
      cosmos: {
        endpoint: azure.cosmos.endpoint,
        key: await secretFile(secrets, 'cosmos-key', azure.cosmos.key),
        database: azure.cosmos.database,
        container: azure.cosmos.container,
        endpointDiscovery: false,
      },
      credential: { token: await secretFile(secrets, 'azure-token', azure.arm.token) },
      // The twin's operations finish in milliseconds; Azure's default 2 s poll would only wait.
      arm: { endpoint: azure.arm.endpoint, subscriptionId: azure.arm.subscriptionId, resourceGroup: azure.arm.resourceGroup, ca: azure.arm.ca, pollIntervalMs: 50 },
      functionApp: { ...azure.functionApp },
      cosmosAccount: azure.cosmosAccount,
      dnsZone: { zone: azure.dnsZone.zone },
      keyVault: { url: azure.keyVault.url, certificate: azure.keyVault.certificate, ca: azure.arm.ca },
      monitor: { endpoint: azure.monitor.endpoint, workspaceId: azure.monitor.workspaceId, ca: azure.arm.ca },
      vmss: { name: azure.vmss.name },
      appGateway: { name: azure.appGateway.name, url: azure.appGateway.url },
    },
    dns: { authoritative: endpoints.dns.authoritative, resolvers: [...endpoints.dns.resolvers], standbyRecord: `dr.${endpoints.dns.zone}` },
    // The SMTP sink takes any login; a password file still exercises the production path.
    notify: {
      email: {
        host: endpoints.smtp.host, port: endpoints.smtp.port, secure: false,
        user: 'drsentinel', password: await secretFile(secrets, 'smtp-password', randomBytes(12).toString('base64url')),
        from: 'drsentinel@drsentinel.test', techLead: 'tech-lead@drsentinel.test', devops: ['devops@drsentinel.test'],
      },
      webhook: { url: endpoints.webhook.url, token: await secretFile(secrets, 'webhook-token', endpoints.webhook.token) },
      // Customers' status page: the same receiver, its own path.
      statusPage: { url: endpoints.webhook.url.replace(/\/hooks\/drsentinel$/, '/status-page'), token: await secretFile(secrets, 'status-page-token', endpoints.webhook.token) },
    },
    checks: { maxTtlSeconds: LAB_MAX_TTL_SECONDS },
    activation: {
      runbookReference: 'drsentinel lab: DR runbook, phase 2',
      warRoom: { 'tech-lead': ['Ana (demo)'], devops: ['Bruno (demo)'], sre: ['Chen (demo)'], cto: ['Dagny (demo)'] },
      cutover: ['www', 'api'].map((name) => ({ name, target: 'gateway' as const, aws: { type: 'A' as const, values: [new URL(endpoints.aws.alb.url).hostname] } })),
      awsHealthUrls: [...endpoints.aws.alb.healthUrls],
      propagationMarginSeconds: 10,
      quietPeriodSeconds: 3,
    },
    // The twin's DynamoDB front accepts 1 s incremental windows (lab/index.ts) and exports in
    // well under a second: a short window and a fast poll keep the chain testable.
    sync: { incrementalMinWindowSeconds: 1, exportPollMs: 200 },
  };
  const header =
    '# Generated by `drsentinel lab`: points at the local twin (emulators on 127.0.0.1) under\n' +
    `# ${stateDir}. It is rewritten, with new ports and tokens, every time the lab starts.\n`;
  const file = join(stateDir, 'drsentinel.yaml');
  await writeFile(file, header + stringify(config), { mode: 0o600 });
  return file;
}
