/**
 * DNS agreement: one name, asked of every configured resolver, must resolve to exactly the
 * expected addresses — the staging record pointing at the Application Gateway (R5, check 7).
 * A resolver still holding an old answer in its cache is exactly what a cutover trips on, so
 * each disagreeing resolver is named with what it answered and how long its answer may live.
 */
import type { Check } from '../src/core/result.js';
import { describeError, fail, pass, warn } from '../src/core/result.js';
import type { DnsAnswer, Resolver } from '../src/core/ports.js';
import { UsageError } from '../src/core/errors.js';

export interface DnsAgreementOptions {
  /** The name to resolve, e.g. `staging.example.com`. */
  name: string;
  /** The addresses every resolver must answer, no more and no fewer. */
  expected: string[];
  resolvers: Resolver[];
  /** A TTL above this makes a cutover slower than planned: a warning. */
  maxTtlSeconds: number;
  /** Fewer configured resolvers than this fails the check (default 1). */
  minResolvers?: number;
  /** Stable check id (default `dns:<name>`). */
  id?: string;
}

type Seen = { resolver: string } & ({ answer: DnsAnswer } | { error: string });

const sameSet = (a: string[], b: string[]) => new Set(a).size === new Set(b).size && a.every((x) => b.includes(x));

function disagreement(seen: Seen, expected: string[]): string | undefined {
  if ('error' in seen) return `${seen.resolver} gave no answer (${seen.error})`;
  const { answers, rcode, ttl } = seen.answer;
  if (rcode !== 'NOERROR') return `${seen.resolver} answered ${rcode}${rcode === 'NXDOMAIN' ? ' (no such name)' : ''}`;
  if (answers.length === 0) return `${seen.resolver} answered no address`;
  if (sameSet(answers, expected)) return undefined;
  const life = ttl === undefined ? '' : `, cached for up to ${ttl} s more`;
  return `${seen.resolver} answered ${answers.join(', ')}${life}`;
}

export function dnsAgreementCheck(opts: DnsAgreementOptions): Check {
  if (opts.expected.length === 0) throw new UsageError(`the DNS check of ${opts.name} needs at least one expected address`);
  const expected = opts.expected.join(', ');
  const minResolvers = opts.minResolvers ?? 1;
  return {
    id: opts.id ?? `dns:${opts.name}`,
    title: `${opts.name} resolves to ${expected} on every resolver`,
    async run(ctx) {
      const seen: Seen[] = await Promise.all(
        opts.resolvers.map((r) =>
          r.resolve(opts.name, 'A', ctx.signal).then(
            (answer): Seen => ({ resolver: r.name, answer }),
            (err: unknown): Seen => ({ resolver: r.name, error: describeError(err) }),
          ),
        ),
      );
      const problems = seen.flatMap((s) => disagreement(s, opts.expected) ?? []);
      const ttls = seen.flatMap((s) => ('answer' in s && s.answer.ttl !== undefined ? [{ resolver: s.resolver, ttl: s.answer.ttl }] : []));
      const evidence = {
        name: opts.name,
        expected: opts.expected,
        resolvers: Object.fromEntries(seen.map((s) => [s.resolver, 'answer' in s ? s.answer : { error: s.error }])),
      };
      const measurements: Record<string, number> = { agreeing: seen.length - problems.length, resolvers: seen.length };
      if (ttls.length) measurements.maxTtlSeconds = Math.max(...ttls.map((t) => t.ttl));

      if (seen.length < minResolvers) {
        return fail(`only ${seen.length} resolver(s) configured to check ${opts.name}, ${minResolvers} needed`, evidence, measurements);
      }
      if (problems.length) {
        return fail(`${opts.name} should resolve to ${expected} but ${problems.length} of ${seen.length} resolvers disagree: ${problems.join('; ')}`, evidence, measurements);
      }
      const long = ttls.filter((t) => t.ttl > opts.maxTtlSeconds);
      if (long.length) {
        const which = long.map((t) => `${t.resolver} (${t.ttl} s)`).join(', ');
        return warn(`${opts.name} resolves to ${expected} everywhere, but its TTL exceeds the ${opts.maxTtlSeconds} s allowed before a cutover on ${which}`, evidence, measurements);
      }
      return pass(`${opts.name} resolves to ${expected} on all ${seen.length} resolvers`, evidence, measurements);
    },
  };
}
