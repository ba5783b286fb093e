import http from 'node:http';
import { listen } from './ports.js';
import { LISTING_FAULTS, type ListingFault } from './s3-listing.js';

/** How the twin misbehaves for one service (fault tests, game days). */
export interface Fault {
  latencyMs?: number;
  /** 429 / 503: throttled or unavailable; 403: refused, as a missing permission (e.g. read-only keys). */
  status?: 403 | 429 | 503;
  /** Only requests with these HTTP methods are hit (e.g. POST, PUT, PATCH, DELETE: writes); default all. */
  methods?: string[];
  retryAfterSeconds?: number;
  dropConnection?: boolean;
  /** share of requests hit, 0..1, default 1 */
  ratio?: number;
  /** hit only the next N requests, then the fault clears itself */
  count?: number;
  /** s3 only: listings answered wrong on purpose while set (s3-listing.ts); ratio and count do not apply to it. */
  listing?: ListingFault;
}

export const FAULT_SERVICES = ['s3', 'dynamodb', 'blob', 'cosmos', 'arm', 'keyvault', 'monitor', 'cloudwatch', 'dns', 'smtp', 'webhook'] as const;
export type FaultService = (typeof FAULT_SERVICES)[number];

export class FaultSwitch {
  readonly #faults = new Map<string, Fault>();

  set(service: string, fault: Fault | undefined): void {
    if (fault === undefined) this.#faults.delete(service);
    else this.#faults.set(service, { ...fault });
  }

  /** The fault as it stands now (`count` is what is left of it). */
  get(service: string): Fault | undefined {
    const fault = this.#faults.get(service);
    return fault && { ...fault };
  }

  all(): Record<string, Fault> {
    return Object.fromEntries([...this.#faults].map(([service, fault]) => [service, { ...fault }]));
  }

  clear(): void {
    this.#faults.clear();
  }

  /** decides for one request: returns the fault to apply or undefined */
  draw(service: string, method?: string): Fault | undefined {
    const fault = this.#faults.get(service);
    if (!fault) return undefined;
    if (fault.methods && method !== undefined && !fault.methods.includes(method.toUpperCase())) return undefined;
    if (Math.random() >= (fault.ratio ?? 1)) return undefined;
    if (fault.count !== undefined) {
      fault.count -= 1;
      if (fault.count <= 0) this.#faults.delete(service);
    }
    return { ...fault };
  }
}

/** Checks a Fault that arrived as JSON; returns the problems found (none when valid). */
export function faultProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ['a fault is a JSON object'];
  const fault = value as Record<string, unknown>;
  const problems: string[] = [];
  const known = new Set(['latencyMs', 'status', 'retryAfterSeconds', 'dropConnection', 'ratio', 'count', 'methods', 'listing']);
  for (const name of Object.keys(fault)) if (!known.has(name)) problems.push(`unknown field "${name}"`);
  const nonNegative = (name: string) => {
    const v = fault[name];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) problems.push(`${name} must be a number ≥ 0`);
  };
  nonNegative('latencyMs');
  nonNegative('retryAfterSeconds');
  if (fault.status !== undefined && fault.status !== 403 && fault.status !== 429 && fault.status !== 503) problems.push('status must be 403, 429 or 503');
  const methods = fault.methods;
  if (methods !== undefined && (!Array.isArray(methods) || methods.length === 0 || !methods.every((m) => typeof m === 'string' && /^[A-Z]+$/.test(m)))) {
    problems.push('methods must be a non-empty list of upper-case HTTP methods');
  }
  if (fault.dropConnection !== undefined && typeof fault.dropConnection !== 'boolean') problems.push('dropConnection must be a boolean');
  const ratio = fault.ratio;
  if (ratio !== undefined && (typeof ratio !== 'number' || ratio < 0 || ratio > 1)) problems.push('ratio must be between 0 and 1');
  if (fault.listing !== undefined && !(LISTING_FAULTS as readonly unknown[]).includes(fault.listing)) problems.push(`listing must be one of ${LISTING_FAULTS.join(', ')}`);
  const count = fault.count;
  if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1)) problems.push('count must be an integer ≥ 1');
  return problems;
}

/**
 * The twin's control plane: PUT /faults/:service (JSON Fault body), DELETE /faults/:service,
 * DELETE /faults, GET /faults.
 */
export async function startControlServer(faults: FaultSwitch, host: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    handleControl(faults, req, res).catch((err: unknown) => {
      sendJson(res, 500, { error: err instanceof Error ? err.message : String(err) });
    });
  });
  const port = await listen(server, host);
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handleControl(faults: FaultSwitch, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://control').pathname;
  const body = await readBody(req);
  if (path === '/faults' || path === '/faults/') {
    if (req.method === 'GET') return sendJson(res, 200, faults.all());
    if (req.method === 'DELETE') {
      faults.clear();
      return sendJson(res, 204);
    }
    return sendJson(res, 405, { error: 'use GET or DELETE on /faults' });
  }
  const match = /^\/faults\/([^/]+)$/.exec(path);
  if (!match) return sendJson(res, 404, { error: 'not found' });
  const service = decodeURIComponent(match[1]!);
  if (!(FAULT_SERVICES as readonly string[]).includes(service)) {
    return sendJson(res, 404, { error: `unknown service "${service}" (one of ${FAULT_SERVICES.join(', ')})` });
  }
  if (req.method === 'GET') {
    const fault = faults.get(service);
    return fault ? sendJson(res, 200, fault) : sendJson(res, 404, { error: `no fault set for ${service}` });
  }
  if (req.method === 'DELETE') {
    faults.set(service, undefined);
    return sendJson(res, 204);
  }
  if (req.method !== 'PUT') return sendJson(res, 405, { error: 'use GET, PUT or DELETE' });
  let fault: unknown;
  try {
    fault = JSON.parse(body.toString('utf8'));
  } catch {
    return sendJson(res, 400, { error: 'the body is not JSON' });
  }
  const problems = faultProblems(fault);
  if (problems.length > 0) return sendJson(res, 400, { error: problems.join('; ') });
  faults.set(service, fault as Fault);
  sendJson(res, 200, faults.get(service));
}

export async function readBody(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

function sendJson(res: http.ServerResponse, status: number, value?: unknown): void {
  if (value === undefined) {
    res.writeHead(status).end();
    return;
  }
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}
