/**
 * A DNS client that asks one named resolver over UDP, so that a probe sees what that very
 * resolver answers (its cache included), not what the host's own resolver chain says.
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { randomInt } from 'node:crypto';
import * as dnsPacket from 'dns-packet';
import type { DnsAnswer, DnsRecordType, Resolver } from '../../core/ports.js';
import { UsageError } from '../../core/errors.js';

export interface DnsServer {
  host: string;
  port: number;
}

/** A decoded message with the response code, which dns-packet decodes but its types omit. */
export type DnsMessage = dnsPacket.DecodedPacket & { rcode?: string };

/** Reads `host`, `host:port` or `[v6]:port`; the port defaults to 53. */
export function parseDnsServer(address: string): DnsServer {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(address);
  const plain = /^([^:]+)(?::(\d+))?$/.exec(address);
  const [host, port] = bracketed ? [bracketed[1]!, bracketed[2]] : plain ? [plain[1]!, plain[2]] : isIPv6(address) ? [address, undefined] : [];
  const number = port === undefined ? 53 : Number(port);
  if (!host || !Number.isInteger(number) || number < 1 || number > 65535) {
    throw new UsageError(`"${address}" is not a DNS server address (host, host:port or [v6]:port)`);
  }
  return { host, port: number };
}

export function formatDnsServer(server: DnsServer): string {
  return isIPv6(server.host) ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

/**
 * Sends one DNS message to `server` over UDP and resolves with the matching response
 * (same id, from that server). Rejects after `timeoutMs` or when `signal` aborts.
 */
export function exchangeUdp(server: DnsServer, message: dnsPacket.Packet, timeoutMs: number, signal?: AbortSignal): Promise<DnsMessage> {
  const id = randomInt(0, 0x10000);
  const query = dnsPacket.encode({ ...message, id });
  const socket = createSocket(isIPv6(server.host) ? 'udp6' : 'udp4');
  const label = formatDnsServer(server);
  return new Promise<DnsMessage>((resolve, reject) => {
    const finish = (err: Error | undefined, response?: DnsMessage) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.close();
      if (err) reject(err);
      else resolve(response!);
    };
    const onAbort = () => finish(new Error(`DNS resolver ${label}: query aborted`));
    const timer = setTimeout(() => finish(new Error(`DNS resolver ${label} did not answer within ${timeoutMs} ms`)), timeoutMs);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('error', (err) => finish(new Error(`DNS resolver ${label}: ${err.message}`)));
    socket.on('message', (buf, from) => {
      if (from.port !== server.port) return;
      let response: DnsMessage;
      try {
        response = dnsPacket.decode(buf) as DnsMessage;
      } catch {
        return; // not a DNS message: keep waiting for the real answer
      }
      if (response.id === id && response.type === 'response') finish(undefined, response);
    });
    socket.send(query, server.port, server.host, (err) => {
      if (err) finish(new Error(`DNS resolver ${label}: ${err.message}`));
    });
  });
}

export interface UdpResolverOptions {
  /** Per-try timeout. */
  timeoutMs?: number;
  /** Further tries after a timeout (UDP loses datagrams). */
  retries?: number;
}

export class UdpResolver implements Resolver {
  readonly name: string;
  readonly #server: DnsServer;
  readonly #timeoutMs: number;
  readonly #retries: number;

  constructor(address: string, opts: UdpResolverOptions = {}) {
    this.#server = parseDnsServer(address);
    this.name = formatDnsServer(this.#server);
    this.#timeoutMs = opts.timeoutMs ?? 2000;
    this.#retries = opts.retries ?? 1;
  }

  async resolve(name: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsAnswer> {
    const query: dnsPacket.Packet = { type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }] };
    let response: DnsMessage | undefined;
    for (let attempt = 0; !response; attempt += 1) {
      try {
        response = await exchangeUdp(this.#server, query, this.#timeoutMs, signal);
      } catch (err) {
        if (signal?.aborted || attempt >= this.#retries) {
          throw new Error(`${name} ${type}: ${(err as Error).message}${attempt > 0 ? ` (${attempt + 1} tries)` : ''}`);
        }
      }
    }
    if (response.flag_tc) throw new Error(`DNS resolver ${this.name} truncated its answer for ${name} ${type}; TCP is not supported`);
    const records = (response.answers ?? []).filter((a): a is dnsPacket.StringAnswer => a.type === 'A' || a.type === 'CNAME');
    const ttls = records.flatMap((r) => (r.ttl === undefined ? [] : [r.ttl]));
    return {
      answers: records.filter((r) => r.type === type).map((r) => r.data),
      ttl: ttls.length ? Math.min(...ttls) : undefined,
      rcode: response.rcode ?? 'NOERROR',
    };
  }
}
