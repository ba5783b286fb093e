/**
 * The control planes — Azure Resource Manager, Key Vault, Monitor, CloudWatch, notifications —
 * each built on first use: a section missing from the config throws a UsageError naming it
 * then, not at start-up. Kept apart from the storage adapters (index.ts) so that a process that
 * only syncs never loads these SDKs (about 75 MB of resident memory).
 */
import type { Config } from '../config/schema.js';
import type { AppLogs, CertificateVault, DnsZone, FunctionApp, Gateway, MetricSink, Notifier, ScaleSet, Throughput } from '../core/ports.js';
import { buildMetricSink } from './aws/cloudwatch.js';
import { buildScaleSet } from './azure/compute.js';
import { buildDnsZone } from './azure/dns-zone.js';
import { buildFunctionApp } from './azure/functions.js';
import { buildCertificateVault } from './azure/keyvault.js';
import { buildAppLogs } from './azure/monitor.js';
import { buildGateway } from './azure/network.js';
import { buildThroughput } from './azure/throughput.js';
import { buildNotifiers } from './notify/index.js';
import { once } from './once.js';

export interface ControlPlane {
  scaleSet(): ScaleSet;
  gateway(): Gateway;
  functionApp(): FunctionApp;
  throughput(): Throughput;
  dnsZone(): DnsZone;
  vault(): CertificateVault;
  logs(): AppLogs;
  /** CloudWatch, when `aws.cloudwatch` is configured. */
  metricSink(): MetricSink | undefined;
  notifiers(): Notifier[];
}

/** Secrets are read when each client is first built. */
export function buildControlPlane(config: Config, env: NodeJS.ProcessEnv = process.env): ControlPlane & { close(): void } {
  const metricSink = once(() => buildMetricSink(config, env));
  return {
    scaleSet: once(() => buildScaleSet(config, env)),
    gateway: once(() => buildGateway(config, env)),
    functionApp: once(() => buildFunctionApp(config, env)),
    throughput: once(() => buildThroughput(config, env)),
    dnsZone: once(() => buildDnsZone(config, env)),
    vault: once(() => buildCertificateVault(config, env)),
    logs: once(() => buildAppLogs(config, env)),
    metricSink,
    notifiers: once(() => buildNotifiers(config, env)),
    close() {
      if (metricSink.built()) metricSink()?.close();
    },
  };
}
