/**
 * The DNS twin: one authoritative server for the lab zone and caching resolvers in front of
 * it, each on its own loopback address. The resolvers keep an answer for its TTL, so a record
 * changed on the authority is seen only once the old TTL has run out — the delay a failover's
 * DNS cutover has to live with, and what the DNS probe must notice.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { randomInt } from 'node:crypto';
import type { DnsMessage } from '../src/adapters/dns/resolver.js';
import type { DnsRecordType } from '../src/core/ports.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultSwitch } from './faults.js';

export interface ZoneRecord {
  /** Fully qualified, inside the zone. */
  name: string;
  type: DnsRecordType;
  /** Addresses for A, one target name for CNAME. */
  values: string[];
  ttl: number;
}

export interface DnsTwinOptions {
  /** The zone the authority serves, e.g. `drsentinel.test`. */
  zone: string;
  records: ZoneRecord[];
  /** Loopback addresses; each server binds its own (Linux answers on all of 127/8). */
  hosts: { authoritative: string; resolvers: string[] };
  /** One port for every server; by default each takes a free one. */
  port?: number;
  /** Seconds the resolvers keep a "no such name" or "no such record" answer (default 1). */
  negativeTtl?: number;
  /** The resolvers' clock in milliseconds; tests pass their own to expire caches without waiting. */
  now?: () => number;
  /** The public resolvers misbehave on the `dns` switch: latency, SERVFAIL (any status), no answer (dropConnection). */
  faults?: FaultSwitch;
}

export interface DnsTwin {
  zone: string;
  /** `host:port` of the authority. */
  authoritative: string;
  /** `host:port` of each caching resolver, in the order of `hosts.resolvers`. */
  resolvers: string[];
  /** Replaces the records of one name and type on the authority; no values removes them. */
  setRecord(name: string, type: DnsRecordType, values: string[], ttl: number): void;
  /** What the authority holds for one name and type, if anything. */
  getRecord(name: string, type: DnsRecordType): ZoneRecord | undefined;
  /** Every name the authority holds records for, sorted. */
  names(): string[];
  /** Empties the cache of one resolver (by index) or of all of them. */
  flush(resolver?: number): void;
  close(): Promise<void>;
}

const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODES;
/** Longest CNAME chain followed inside the zone before giving up (loops end here too). */
const MAX_CHAIN = 8;
const FORWARD_TIMEOUT_MS = 2000;

const canonical = (name: string) => name.toLowerCase().replace(/\.$/, '');

function reply(query: DnsMessage, rcode: Rcode, flags: number, sections: Pick<dnsPacket.Packet, 'answers' | 'authorities'> = {}): Buffer {
  const rd = query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0;
  return dnsPacket.encode({
    type: 'response',
    id: query.id ?? 0,
    flags: flags | rd | RCODES[rcode],
    questions: query.questions ?? [],
    answers: sections.answers ?? [],
    authorities: sections.authorities ?? [],
  });
}

/** `onQuery` answering undefined sends nothing back: a resolver that drops the question. */
async function bindUdp(host: string, port: number, onQuery: (query: DnsMessage) => Promise<Buffer | undefined> | Buffer): Promise<Socket> {
  const socket = createSocket('udp4');
  socket.on('message', (buf, from) => {
    let query: DnsMessage;
    try {
      query = dnsPacket.decode(buf) as DnsMessage;
    } catch {
      return; // not DNS: a real server drops it too
    }
    if (query.type !== 'query') return;
    Promise.resolve(onQuery(query))
      .then((answer) => answer && socket.send(answer, from.port, from.address))
      // The twin may have closed while a resolver was still asking the authority.
      .catch(() => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: host, port }, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return socket;
}

const addressOf = (socket: Socket) => {
  const { address, port } = socket.address() as AddressInfo;
  return { host: address, port, label: `${address}:${port}` };
};

class Zone {
  readonly #records = new Map<string, Map<DnsRecordType, { values: string[]; ttl: number }>>();

  constructor(readonly origin: string, readonly negativeTtl: number) {}

  contains(name: string): boolean {
    return name === this.origin || name.endsWith(`.${this.origin}`);
  }

  get(name: string, type: DnsRecordType): ZoneRecord | undefined {
    const key = canonical(name);
    const rrset = this.#records.get(key)?.get(type);
    return rrset && { name: key, type, values: [...rrset.values], ttl: rrset.ttl };
  }

  names(): string[] {
    return [...this.#records.keys()].sort();
  }

  set(name: string, type: DnsRecordType, values: string[], ttl: number): void {
    const key = canonical(name);
    if (!this.contains(key)) throw new Error(`${name} is outside the twin's zone ${this.origin}`);
    const node = this.#records.get(key) ?? new Map();
    // A name with a CNAME holds nothing else (RFC 1034 §3.6.2): setting one side clears the other.
    node.delete(type === 'CNAME' ? 'A' : 'CNAME');
    if (values.length) node.set(type, { values: [...values], ttl });
    else node.delete(type);
    if (node.size) this.#records.set(key, node);
    else this.#records.delete(key);
  }

  /** Answers as an authority: the records asked for, following CNAMEs inside the zone. */
  answer(query: DnsMessage): Buffer {
    const question = query.questions?.[0];
    if (!question) return reply(query, 'REFUSED', dnsPacket.AUTHORITATIVE_ANSWER);
    if (question.type !== 'A' && question.type !== 'CNAME') return reply(query, 'NOTIMP', dnsPacket.AUTHORITATIVE_ANSWER);
    let name = canonical(question.name);
    if (!this.contains(name)) return reply(query, 'REFUSED', 0);
    const answers: dnsPacket.Answer[] = [];
    for (let step = 0; step < MAX_CHAIN && this.contains(name); step += 1) {
      const node = this.#records.get(name);
      if (!node) {
        return reply(query, answers.length ? 'NOERROR' : 'NXDOMAIN', dnsPacket.AUTHORITATIVE_ANSWER, { answers, authorities: [this.#soa()] });
      }
      const asked = node.get(question.type);
      const alias = node.get('CNAME');
      const rrset = asked ? { type: question.type, ...asked } : alias && { type: 'CNAME' as const, ...alias };
      if (!rrset) break;
      answers.push(...rrset.values.map((data) => ({ name, type: rrset.type, ttl: rrset.ttl, class: 'IN' as const, data })));
      if (asked) return reply(query, 'NOERROR', dnsPacket.AUTHORITATIVE_ANSWER, { answers });
      name = canonical(rrset.values[0]!);
    }
    return reply(query, 'NOERROR', dnsPacket.AUTHORITATIVE_ANSWER, { answers, authorities: [this.#soa()] });
  }

  /** The SOA sent with negative answers: its TTL is how long resolvers may cache them (RFC 2308). */
  #soa(): dnsPacket.Answer {
    return {
      name: this.origin, type: 'SOA', ttl: this.negativeTtl, class: 'IN',
      data: { mname: `ns.${this.origin}`, rname: `hostmaster.${this.origin}`, serial: 1, minimum: this.negativeTtl },
    };
  }
}

interface CacheEntry {
  rcode: Rcode;
  answers: dnsPacket.Answer[];
  authorities: dnsPacket.Answer[];
  storedAt: number;
  expiresAt: number;
}

/**
 * One question to the authority over UDP, with the twin's own socket code: a resolver twin that
 * forwarded through the product's DNS client would share its mistakes.
 */
function askAuthority(authority: { host: string; port: number }, question: dnsPacket.Question): Promise<DnsMessage> {
  const id = randomInt(0, 0x10000);
  const socket = createSocket(authority.host.includes(':') ? 'udp6' : 'udp4');
  return new Promise<DnsMessage>((resolve, reject) => {
    const done = (err: Error | undefined, answer?: DnsMessage) => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(answer!);
    };
    const timer = setTimeout(() => done(new Error(`the authority did not answer within ${FORWARD_TIMEOUT_MS} ms`)), FORWARD_TIMEOUT_MS);
    socket.on('error', (err) => done(err));
    socket.on('message', (buf) => {
      let answer: DnsMessage;
      try {
        answer = dnsPacket.decode(buf) as DnsMessage;
      } catch {
        return; // not a DNS message: the answer may still come
      }
      if (answer.id === id && answer.type === 'response') done(undefined, answer);
    });
    socket.send(dnsPacket.encode({ type: 'query', id, questions: [question] }), authority.port, authority.host, (err) => err && done(err));
  });
}

/** A recursive resolver whose only upstream is the twin's authority; it caches for the TTL. */
class CachingResolver {
  readonly #cache = new Map<string, CacheEntry>();

  constructor(readonly upstream: { host: string; port: number }, readonly now: () => number) {}

  flush(): void {
    this.#cache.clear();
  }

  async answer(query: DnsMessage): Promise<Buffer> {
    const flags = dnsPacket.RECURSION_AVAILABLE;
    const question = query.questions?.[0];
    if (!question) return reply(query, 'REFUSED', flags);
    const key = `${canonical(question.name)}|${question.type}`;
    let entry = this.#cache.get(key);
    if (!entry || this.now() >= entry.expiresAt) {
      this.#cache.delete(key);
      try {
        entry = this.#remember(key, await askAuthority(this.upstream, question));
      } catch {
        return reply(query, 'SERVFAIL', flags);
      }
    }
    // What a cache hands out counts down: each record says how long it has left.
    const elapsed = Math.floor((this.now() - entry.storedAt) / 1000);
    const age = (records: dnsPacket.Answer[]) => records.map((r) => ('ttl' in r ? { ...r, ttl: Math.max(0, (r.ttl ?? 0) - elapsed) } : r));
    return reply(query, entry.rcode, flags, { answers: age(entry.answers), authorities: age(entry.authorities) });
  }

  #remember(key: string, response: DnsMessage): CacheEntry {
    const rcode = (response.rcode ?? 'NOERROR') as Rcode;
    const answers = response.answers ?? [];
    const authorities = response.authorities ?? [];
    const cached = answers.length ? answers : authorities.filter((r) => r.type === 'SOA');
    const ttls = cached.map((r) => ('ttl' in r ? r.ttl ?? 0 : 0));
    const storedAt = this.now();
    const entry = { rcode, answers, authorities, storedAt, expiresAt: storedAt + (ttls.length ? Math.min(...ttls) : 0) * 1000 };
    if ((rcode === 'NOERROR' || rcode === 'NXDOMAIN') && entry.expiresAt > storedAt) this.#cache.set(key, entry);
    return entry;
  }
}

export async function startDnsTwin(opts: DnsTwinOptions): Promise<DnsTwin> {
  const zone = new Zone(canonical(opts.zone), opts.negativeTtl ?? 1);
  for (const r of opts.records) zone.set(r.name, r.type, r.values, r.ttl);
  const sockets: Socket[] = [];
  // Idempotent: a test may stop the twin on purpose before its teardown does.
  const close = () => Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
  const serve = async (host: string, onQuery: (query: DnsMessage) => Promise<Buffer | undefined> | Buffer) => {
    const socket = await bindUdp(host, opts.port ?? 0, onQuery);
    sockets.push(socket);
    return addressOf(socket);
  };
  try {
    const authority = await serve(opts.hosts.authoritative, (q) => zone.answer(q));
    const resolvers = opts.hosts.resolvers.map(() => new CachingResolver(authority, opts.now ?? Date.now));
    const bound: string[] = [];
    const faulty = (answer: (q: DnsMessage) => Promise<Buffer> | Buffer) => async (q: DnsMessage): Promise<Buffer | undefined> => {
      const fault = opts.faults?.draw('dns');
      if (fault?.latencyMs) await sleep(fault.latencyMs);
      if (fault?.dropConnection) return undefined;
      return fault?.status ? reply(q, 'SERVFAIL', dnsPacket.RECURSION_AVAILABLE) : answer(q);
    };
    for (const [i, host] of opts.hosts.resolvers.entries()) bound.push((await serve(host, faulty((q) => resolvers[i]!.answer(q)))).label);
    return {
      zone: zone.origin,
      authoritative: authority.label,
      resolvers: bound,
      setRecord: (name, type, values, ttl) => zone.set(name, type, values, ttl),
      getRecord: (name, type) => zone.get(name, type),
      names: () => zone.names(),
      flush: (index) => (index === undefined ? resolvers : [resolvers[index]]).forEach((r) => {
        if (!r) throw new Error(`the DNS twin has no resolver ${index}`);
        r.flush();
      }),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
