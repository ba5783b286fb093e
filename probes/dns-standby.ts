/**
 * R5 check 7: the standby record resolves, on every configured resolver, to the Application
 * Gateway's public address — asked of the gateway each time, so a gateway that changed its
 * address is caught as surely as a record that changed.
 */
import type { Resolver } from '../src/core/ports.js';
import { describeError, fail, type Check } from '../src/core/result.js';
import { dnsAgreementCheck } from './dns.js';

export interface DnsStandbyOptions {
  /** The standby name, e.g. `dr.example.com` (config dns.standbyRecord). */
  name: string;
  resolvers: Resolver[];
  /** The gateway's public address(es), e.g. from `Gateway.get().publicIp`. */
  expectedAddresses: (signal: AbortSignal) => Promise<string[]>;
  maxTtlSeconds: number;
  minResolvers?: number;
}

export function dnsStandbyCheck(opts: DnsStandbyOptions): Check {
  const id = 'dns-standby';
  const title = `the standby record ${opts.name} points at the Application Gateway on every resolver`;
  return {
    id,
    title,
    async run(ctx) {
      let expected: string[];
      try {
        expected = await opts.expectedAddresses(ctx.signal);
      } catch (err) {
        return fail(`the Application Gateway's public address cannot be read, so ${opts.name} cannot be checked: ${describeError(err)}`, { name: opts.name });
      }
      if (expected.length === 0) return fail(`the Application Gateway has no public address for ${opts.name} to point at`, { name: opts.name });
      return dnsAgreementCheck({ id, name: opts.name, expected, resolvers: opts.resolvers, maxTtlSeconds: opts.maxTtlSeconds, minResolvers: opts.minResolvers }).run(ctx);
    },
  };
}
