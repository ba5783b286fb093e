/**
 * What only the checks and the runbooks use — the control planes (Azure Resource Manager, Key
 * Vault, Monitor, CloudWatch), the public DNS resolvers and the Cosmos probe — each built on
 * first use: a section missing from the config throws a UsageError naming it then, not at
 * start-up. The factory (index.ts) loads this module only when asked for it, so that a process
 * that only syncs never loads these SDKs (about 75 MB of resident memory).
 */
import type { Config } from '../config/schema.js';
import type { AppLogs, CertificateVault, DnsZone, DocumentProbe, FunctionApp, Gateway, MetricSink, Resolver, ScaleSet, Throughput } from '../core/ports.js';
import { buildMetricSink } from './aws/cloudwatch.js';
import { buildScaleSet } from './azure/compute.js';
import { buildCosmosProbe } from './azure/cosmos-probe.js';
import { buildDnsZone } from './azure/dns-zone.js';
import { buildFunctionApp } from './azure/functions.js';
import { buildCertificateVault } from './azure/keyvault.js';
import { buildAppLogs } from './azure/monitor.js';
import { buildGateway } from './azure/network.js';
import { buildThroughput } from './azure/throughput.js';
import { UdpResolver } from './dns/resolver.js';
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
  /** One client per `dns.resolvers` entry. */
  resolvers(): Resolver[];
  /** Cosmos as the cosmos check reads and writes it, apart from the synced documents. */
  cosmosProbe(): DocumentProbe;
}

/** Secrets are read when each client is first built. */
export function buildControlPlane(config: Config, env: NodeJS.ProcessEnv = process.env): ControlPlane & { close(): void } {
  const metricSink = once(() => buildMetricSink(config, env));
  const cosmosProbe = once(() => buildCosmosProbe(config, env));
  return {
    scaleSet: once(() => buildScaleSet(config, env)),
    gateway: once(() => buildGateway(config, env)),
    functionApp: once(() => buildFunctionApp(config, env)),
    throughput: once(() => buildThroughput(config, env)),
    dnsZone: once(() => buildDnsZone(config, env)),
    vault: once(() => buildCertificateVault(config, env)),
    logs: once(() => buildAppLogs(config, env)),
    metricSink,
    resolvers: once(() => config.dns.resolvers.map((address) => new UdpResolver(address))),
    cosmosProbe,
    close() {
      if (metricSink.built()) metricSink()?.close();
      if (cosmosProbe.built()) cosmosProbe().close();
    },
  };
}
