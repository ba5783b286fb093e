/**
 * The cutover names on the public resolvers (R9, R10): each name answers its target values on at
 * least `minResolvers` distinct resolvers. Each resolver's answer is kept as evidence, because a
 * cutover stalls on the one resolver still serving the old address from its cache.
 */
import type { DnsRecordType, Resolver } from '../src/core/ports.js';
import { describeError, fail, pass, type Check, type Outcome } from '../src/core/result.js';

export interface NameTarget {
  /** Relative to the zone, as configured (`www`, `api`, `@`). */
  name: string;
  fqdn: string;
  type: DnsRecordType;
  values: string[];
}

const norm = (v: string) => v.toLowerCase().replace(/\.$/, '');

/** Each name answers its target values on at least `minResolvers` distinct resolvers; each resolver's answer is evidence. */
export function propagation(resolvers: Resolver[], targets: NameTarget[], minResolvers: number) {
  return async (signal: AbortSignal): Promise<Outcome> => {
    const evidence: Record<string, Record<string, string>> = {};
    const short: string[] = [];
    for (const t of targets) {
      const seen: Record<string, string> = {};
      let agreeing = 0;
      await Promise.all(
        resolvers.map(async (r) => {
          try {
            const answer = await r.resolve(t.fqdn, t.type, signal);
            const values = answer.answers.map(norm);
            const ok = values.length > 0 && t.values.every((v) => values.includes(norm(v)));
            if (ok) agreeing++;
            seen[r.name] = `${answer.rcode} ${values.join(', ') || '(none)'}${answer.ttl !== undefined ? ` ttl ${answer.ttl}` : ''}${ok ? '' : ' ✘'}`;
          } catch (err) {
            seen[r.name] = `no answer: ${describeError(err)} ✘`;
          }
        }),
      );
      evidence[t.fqdn] = seen;
      if (agreeing < minResolvers) short.push(`${t.fqdn} answers ${t.values.join(', ')} on ${agreeing} of ${resolvers.length} resolvers (${minResolvers} needed)`);
    }
    if (resolvers.length < minResolvers) short.unshift(`only ${resolvers.length} resolvers are configured (dns.resolvers), ${minResolvers} needed`);
    return short.length === 0
      ? pass(`${targets.map((t) => t.fqdn).join(' and ')} ${targets.length === 1 ? 'resolves' : 'resolve'} to the new values on at least ${minResolvers} resolvers`, { resolvers: evidence })
      : fail(short.join('; '), { resolvers: evidence });
  };
}

export function dnsCutoverCheck(o: { id?: string; targets: (signal: AbortSignal) => Promise<NameTarget[]>; resolvers: Resolver[]; minResolvers: number }): Check {
  return {
    id: o.id ?? 'dns-cutover',
    title: `the public names resolve to their targets on at least ${o.minResolvers} resolvers`,
    async run(ctx) {
      const targets = await o.targets(ctx.signal);
      if (targets.length === 0) return fail('no name to check: set activation.cutover');
      return propagation(o.resolvers, targets, o.minResolvers)(ctx.signal);
    },
  };
}
