/**
 * The frame of the lab's own REST twins (ARM, Key Vault, Monitor, CloudWatch): HTTPS with the
 * lab certificate, a small router, JSON in and out, the caller's authorization, fault injection
 * from the lab's fault switch, and Azure's long-running operations (202 + a status URL).
 * Each twin module only declares its routes.
 */
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBody, type FaultSwitch } from './faults.js';
import type { TwinCertificate } from './tls.js';
import { listen } from './ports.js';

export interface TwinRequest {
  method: string;
  url: URL;
  /** Path parameters of the matched route, decoded. */
  params: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
  /** The body parsed as JSON, when it is JSON. */
  body: unknown;
}

export interface TwinAnswer {
  status: number;
  headers?: http.OutgoingHttpHeaders;
  /** Serialised as JSON unless a string or a Buffer. */
  body?: unknown;
}

export type TwinHandler = (req: TwinRequest) => Promise<TwinAnswer> | TwinAnswer;

/** Decides whether a request may go on; an answer refuses it. */
export type Authorize = (req: TwinRequest) => TwinAnswer | undefined;

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: TwinHandler;
}

export class TwinRouter {
  readonly #routes: Route[] = [];

  /** `pattern` is a path with `:name` segments; matching ignores case, as ARM does. */
  add(method: string, pattern: string, handler: TwinHandler): this {
    const names: string[] = [];
    const source = pattern
      .split('/')
      .map((segment) => {
        if (!segment.startsWith(':')) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(segment.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.#routes.push({ method, pattern: new RegExp(`^${source}/?$`, 'i'), names, handler });
    return this;
  }

  match(method: string, path: string): { handler: TwinHandler; params: Record<string, string> } | 'wrong-method' | undefined {
    let pathMatched = false;
    for (const route of this.#routes) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)]));
      return { handler: route.handler, params };
    }
    return pathMatched ? 'wrong-method' : undefined;
  }
}

/** The error body every Azure REST API uses; the SDKs turn it into a RestError with `.code`. */
export function azureError(status: number, code: string, message: string): TwinAnswer {
  return { status, body: { error: { code, message } } };
}

type OperationState = { status: 'InProgress' } | { status: 'Succeeded'; result: unknown } | { status: 'Failed'; error: { code: string; message: string } };

/**
 * Azure's long-running operations. `start` runs the work in the background; the caller answers
 * 201/202 with `asyncOperation(id)` (polled until Succeeded, then the SDK reads the resource) or
 * `location(id)` (polled: 202 while running, then 200 with the work's result as the body).
 */
export class Operations {
  readonly #states = new Map<string, OperationState>();
  #base = '';

  setBase(url: string): void {
    this.#base = url;
  }

  start(work: () => Promise<unknown>): string {
    const id = randomUUID();
    this.#states.set(id, { status: 'InProgress' });
    work().then(
      (result) => this.#states.set(id, { status: 'Succeeded', result }),
      (err: unknown) => {
        const e = err as { code?: string; message?: string };
        this.#states.set(id, { status: 'Failed', error: { code: e.code ?? 'InternalServerError', message: e.message ?? String(err) } });
      },
    );
    return id;
  }

  asyncOperation(id: string): http.OutgoingHttpHeaders {
    return { 'azure-asyncoperation': `${this.#base}/operations/${id}`, 'retry-after': '0' };
  }

  location(id: string): http.OutgoingHttpHeaders {
    return { location: `${this.#base}/operations/${id}/result`, 'retry-after': '0' };
  }

  register(router: TwinRouter): void {
    router.add('GET', '/operations/:id', ({ params }) => {
      const state = this.#states.get(params.id!);
      if (!state) return azureError(404, 'OperationNotFound', `no operation ${params.id}`);
      if (state.status === 'Failed') return { status: 200, body: { status: 'Failed', error: state.error } };
      return { status: 200, body: { status: state.status } };
    });
    router.add('GET', '/operations/:id/result', ({ params }) => {
      const state = this.#states.get(params.id!);
      if (!state) return azureError(404, 'OperationNotFound', `no operation ${params.id}`);
      if (state.status === 'InProgress') return { status: 202, headers: this.location(params.id!) };
      if (state.status === 'Failed') return azureError(500, state.error.code, state.error.message);
      return { status: 200, body: state.result };
    });
  }
}

export interface HttpsTwin {
  url: string;
  operations: Operations;
  close(): Promise<void>;
}

export interface HttpsTwinOptions {
  /** The fault-switch service name of this twin. */
  service: string;
  host: string;
  tls: TwinCertificate;
  faults: FaultSwitch;
  router: TwinRouter;
  authorize?: Authorize;
  /** The long-running operations the routes start (default: a registry of this twin's own). */
  operations?: Operations;
  /** A fault's error body in this twin's dialect (default: Azure's). */
  faultBody?: (status: number) => TwinAnswer;
  /** The answer for a path no route serves (default: Azure's 404 NotFound). */
  unknownPath?: (url: URL) => TwinAnswer;
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

function send(res: http.ServerResponse, answer: TwinAnswer): void {
  const headers: http.OutgoingHttpHeaders = { 'x-ms-request-id': randomUUID(), ...answer.headers };
  let body: Buffer | undefined;
  if (answer.body !== undefined) {
    if (typeof answer.body === 'string' || Buffer.isBuffer(answer.body)) body = Buffer.from(answer.body);
    else {
      body = Buffer.from(JSON.stringify(answer.body));
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
  }
  headers['content-length'] = body?.length ?? 0;
  res.writeHead(answer.status, headers).end(body);
}

const FAULT_CODES: Record<number, string> = { 403: 'AuthorizationFailed', 429: 'TooManyRequests', 503: 'ServiceUnavailable' };

export async function startHttpsTwin(o: HttpsTwinOptions): Promise<HttpsTwin> {
  const operations = o.operations ?? new Operations();
  operations.register(o.router);
  const closing = new AbortController();
  const faultBody = o.faultBody ?? ((status: number) => azureError(status, FAULT_CODES[status] ?? 'ServiceUnavailable', `lab fault: ${status}`));
  const unknownPath = o.unknownPath ?? ((url: URL) => azureError(404, 'NotFound', `the ${o.service} twin has no ${url.pathname}`));

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://twin');
    const rawBody = await readBody(req);
    const fault = o.faults.draw(o.service, req.method);
    if (fault?.latencyMs) await sleep(fault.latencyMs, undefined, { signal: closing.signal }).catch(() => {});
    if (fault?.dropConnection) return void req.socket.destroy();
    if (fault?.status) {
      const answer = faultBody(fault.status);
      return send(res, { ...answer, headers: { ...answer.headers, 'retry-after': String(fault.retryAfterSeconds ?? 1) } });
    }
    const found = o.router.match(req.method ?? 'GET', url.pathname);
    if (found === undefined) return send(res, unknownPath(url));
    if (found === 'wrong-method') return send(res, azureError(405, 'MethodNotAllowed', `${req.method} is not allowed on ${url.pathname}`));
    const request: TwinRequest = { method: req.method ?? 'GET', url, params: found.params, headers: req.headers, rawBody, body: parseJson(rawBody) };
    const refused = o.authorize?.(request);
    if (refused) return send(res, refused);
    send(res, await found.handler(request));
  };

  const server = https.createServer({ cert: o.tls.cert, key: o.tls.key }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, azureError(500, 'InternalServerError', err instanceof Error ? err.message : String(err)));
      else res.destroy();
    });
  });
  const url = `https://${o.host}:${await listen(server, o.host)}`;
  operations.setBase(url);
  return {
    url,
    operations,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** ARM's check: `Authorization: Bearer <the lab's token>`, else 401 as Azure answers it. */
export function bearerAuthorize(token: string): Authorize {
  return (req) => {
    const header = req.headers.authorization ?? '';
    if (header === `Bearer ${token}`) return undefined;
    const why = header ? 'The access token is invalid.' : 'The request does not carry an access token.';
    return azureError(401, header ? 'InvalidAuthenticationToken' : 'AuthenticationFailed', why);
  };
}
