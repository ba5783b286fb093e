/**
 * What each cutover name holds on either side, from the config alone. The standby's DNS check
 * asks whether the names could point at Azure, and the runbooks point them there and back, so
 * the targets sit here, below both.
 */
import type { Config } from '../config/schema.js';
import type { NameTarget } from '../../probes/dns-cutover.js';

export function fqdnOf(name: string, zone: string): string {
  return name === '@' ? zone : `${name}.${zone}`;
}

/** Where each cutover name points on Azure: the gateway's public IP, or the Blob website host. */
export function azureTargets(config: Config, zone: string, gatewayIp: string | undefined): NameTarget[] {
  return config.activation.cutover.map((c) => {
    if (c.target === 'website') return { name: c.name, fqdn: fqdnOf(c.name, zone), type: 'CNAME', values: [new URL(config.azure.blob.websiteUrl).hostname] };
    if (!gatewayIp) throw new Error('the Application Gateway has no public IP to point the names at');
    return { name: c.name, fqdn: fqdnOf(c.name, zone), type: 'A', values: [gatewayIp] };
  });
}

/** What each cutover name holds in production (config), restored by the rollback. */
export function awsTargets(config: Config, zone: string): NameTarget[] {
  return config.activation.cutover.map((c) => ({ name: c.name, fqdn: fqdnOf(c.name, zone), type: c.aws.type, values: c.aws.values }));
}
