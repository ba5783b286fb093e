import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBody, type Fault, type FaultSwitch } from './faults.js';
import { listen } from './ports.js';
import type { RequestTally } from './request-tally.js';

/** One request as a front sees it; `body` is there only when the interceptor asked for it. */
export interface ProxyRequest {
  method: string;
  /** Path and query exactly as the client sent them (never re-encoded). */
  rawUrl: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body?: Buffer;
}

/** The upstream's answer; an interceptor may change status, headers and (when buffered) body. */
export interface ProxyResponse {
  status: number;
  headers: http.OutgoingHttpHeaders;
  body?: Buffer;
}

export interface LocalAnswer {
  status: number;
  headers?: http.OutgoingHttpHeaders;
  body?: string | Buffer;
}

/**
 * How a front hooks the pass-through. Bodies stream untouched unless `bufferRequest` /
 * `bufferResponse` say so — only for small control-plane exchanges.
 */
export interface Interceptor {
  bufferRequest?(req: ProxyRequest): boolean;
  /** Answer locally instead of forwarding; undefined lets the request through. */
  answer?(req: ProxyRequest): Promise<LocalAnswer | undefined> | LocalAnswer | undefined;
  bufferResponse?(req: ProxyRequest, status: number): boolean;
  /** Runs before the upstream answer is sent back (after it is buffered, when asked). */
  response?(req: ProxyRequest, res: ProxyResponse): Promise<void> | void;
}

export interface ProxyHandle {
  url: string;
  close(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];
/** Node has already answered the client's `Expect: 100-continue`; the upstream must not wait for one. */
const CLIENT_ONLY = ['expect'];

export async function startProxy(o: {
  upstream: string;
  host: string;
  service: string;
  faults: FaultSwitch;
  intercept?: Interceptor;
  /** Counts every request the front receives, faulted or not. */
  tally?: RequestTally;
}): Promise<ProxyHandle> {
  const upstream = new URL(o.upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const closing = new AbortController();
  const server = http.createServer((req, res) => {
    o.tally?.count(o.service, req.method ?? 'GET');
    const x = { req, res, upstream, agent, closing: closing.signal, service: o.service, faults: o.faults, intercept: o.intercept ?? {} };
    serve(x).catch(
      (err: unknown) => failExchange(res, err),
    );
  });
  const port = await listen(server, o.host);
  return {
    url: `http://${o.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.closeAllConnections();
        server.close(() => {
          agent.destroy();
          resolve();
        });
      }),
  };
}

interface Exchange {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  upstream: URL;
  agent: http.Agent;
  /** Aborted when the proxy closes: pending latency faults must not hold the process. */
  closing: AbortSignal;
  service: string;
  faults: FaultSwitch;
  intercept: Interceptor;
}

async function serve(x: Exchange): Promise<void> {
  const { req, res, intercept } = x;
  const fault = x.faults.draw(x.service, req.method);
  if (fault?.latencyMs) await delay(fault.latencyMs, x);
  const dropping = fault?.dropConnection === true;
  if (dropping && req.method !== 'GET' && req.method !== 'HEAD') {
    // Mid-request: the body never reaches the upstream, the client sees a reset.
    req.socket.destroy();
    return;
  }
  if (fault?.status && !dropping) {
    await drain(req);
    return send(res, faultAnswer(x.service, fault));
  }

  const rawUrl = req.url ?? '/';
  const preq: ProxyRequest = { method: req.method ?? 'GET', rawUrl, url: new URL(rawUrl, 'http://front'), headers: req.headers };
  const buffered = intercept.bufferRequest?.(preq) === true;
  if (buffered) preq.body = await readBody(req);
  const local = await intercept.answer?.(preq);
  if (local) {
    if (!buffered) await drain(req);
    return send(res, local);
  }

  const headers: http.OutgoingHttpHeaders = { ...req.headers, host: x.upstream.host };
  for (const name of [...HOP_BY_HOP, ...CLIENT_ONLY]) if (name !== 'transfer-encoding' || buffered) delete headers[name];
  if (buffered) headers['content-length'] = String(preq.body!.length);
  const upreq = http.request({
    host: x.upstream.hostname,
    port: x.upstream.port,
    method: preq.method,
    path: rawUrl,
    headers,
    agent: x.agent,
  });
  const upres = await new Promise<http.IncomingMessage>((resolve, reject) => {
    upreq.once('response', resolve);
    upreq.once('error', reject);
    res.once('close', () => {
      if (!res.writableFinished) upreq.destroy();
    });
    if (buffered) upreq.end(preq.body);
    else req.pipe(upreq);
  });

  const pres: ProxyResponse = { status: upres.statusCode ?? 502, headers: { ...upres.headers } };
  for (const name of HOP_BY_HOP) delete pres.headers[name];
  if (dropping) return dropMidResponse(res, upres, pres);
  if (intercept.bufferResponse?.(preq, pres.status) === true) {
    pres.body = await readBody(upres);
    await intercept.response?.(preq, pres);
    return send(res, { status: pres.status, headers: pres.headers, body: pres.body });
  }
  await intercept.response?.(preq, pres);
  res.writeHead(pres.status, pres.headers);
  await pipeline(upres, res);
}

/** Sends the status line, headers and part of the body, then cuts the connection. */
function dropMidResponse(res: http.ServerResponse, upres: http.IncomingMessage, pres: ProxyResponse): void {
  upres.once('data', (chunk: Buffer) => {
    upres.destroy();
    res.writeHead(pres.status, pres.headers);
    res.write(chunk.subarray(0, Math.ceil(chunk.length / 2)), () => res.socket?.destroy());
  });
  // Nothing to cut in the middle of (HEAD, empty body): the whole answer is lost.
  upres.once('end', () => res.socket?.destroy());
}

/** Waits, unless the client goes away or the proxy closes first. */
async function delay(ms: number, x: Exchange): Promise<void> {
  const stop = new AbortController();
  const abort = () => stop.abort();
  x.req.socket.once('close', abort);
  x.closing.addEventListener('abort', abort);
  try {
    await sleep(ms, undefined, { signal: stop.signal });
  } finally {
    x.req.socket.off('close', abort);
    x.closing.removeEventListener('abort', abort);
  }
}

function send(res: http.ServerResponse, answer: LocalAnswer): void {
  const body = answer.body === undefined ? undefined : Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(answer.body);
  const headers: http.OutgoingHttpHeaders = { ...answer.headers };
  for (const name of HOP_BY_HOP) delete headers[name];
  if (body) headers['content-length'] = String(body.length);
  else if (answer.status !== 204 && answer.status !== 304) headers['content-length'] = '0';
  res.writeHead(answer.status, headers);
  res.end(body);
}

async function drain(req: http.IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  req.resume();
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
  });
}

function failExchange(res: http.ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  send(res, { status: 502, headers: { 'content-type': 'text/plain' }, body: `lab proxy: upstream failed: ${message}` });
}

/** An error answer in the service's own wire format, so that SDKs classify it as they would in the cloud. */
export function faultAnswer(service: string, fault: Fault): LocalAnswer {
  const status = fault.status ?? 503;
  // DynamoDB says "refused" with a 400 AccessDeniedException, as AWS does.
  const refused = status === 403;
  const retryAfter = fault.retryAfterSeconds ?? 1;
  const requestId = randomUUID();
  const base: http.OutgoingHttpHeaders = { 'retry-after': String(retryAfter) };
  switch (service) {
    case 's3': {
      const [code, message] = refused ? ['AccessDenied', 'Access Denied'] : [status === 503 ? 'SlowDown' : 'TooManyRequests', 'Please reduce your request rate.'];
      return {
        status,
        headers: { ...base, 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body: xmlError(code, message, `<RequestId>${requestId}</RequestId>`),
      };
    }
    case 'blob': {
      const [code, message] = refused ? ['AuthorizationPermissionMismatch', 'This request is not authorized to perform this operation using this permission.'] : ['ServerBusy', 'The server is busy.'];
      return {
        status,
        headers: { ...base, 'content-type': 'application/xml', 'x-ms-error-code': code, 'x-ms-request-id': requestId },
        body: xmlError(code, message, ''),
      };
    }
    case 'dynamodb':
      return {
        status: refused ? 400 : status,
        headers: { ...base, 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId },
        body: JSON.stringify(refused
          ? { __type: 'com.amazon.coral.service#AccessDeniedException', message: 'User is not authorized to perform this action on the table.' }
          : { __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }),
      };
    case 'cosmos': {
      if (refused) {
        return {
          status,
          headers: { 'content-type': 'application/json', 'x-ms-activity-id': requestId },
          body: JSON.stringify({ code: 'Forbidden', message: 'Request blocked by Auth: the principal does not have the permission to write to this container.' }),
        };
      }
      const code = status === 429 ? 'TooManyRequests' : 'ServiceUnavailable';
      return {
        status,
        headers: {
          ...base,
          'content-type': 'application/json',
          'x-ms-retry-after-ms': String(retryAfter * 1000),
          'x-ms-activity-id': requestId,
        },
        body: JSON.stringify({ code, message: 'Request rate is large. More Request Units may be needed.' }),
      };
    }
    default:
      return { status, headers: { ...base, 'content-type': 'text/plain' }, body: `lab fault: ${status}` };
  }
}

function xmlError(code: string, message: string, extra: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}</Error>`;
}
