/**
 * The Application Gateway's public frontend: plain HTTP on the gateway's public IP, proxied
 * round-robin to the backends that answer. With no backend answering, or the gateway stopped,
 * it answers 502 as Azure does. Every request a backend answered is recorded for the Monitor
 * twin's AppRequests: Application Insights logs what the application served, and a 502 of the
 * gateway's own never reached the application.
 */
import http from 'node:http';
import { readBody } from '../faults.js';
import type { AzureTwinState } from './state.js';
import { listen } from '../ports.js';

export interface Backend {
  address: string;
  port: number;
}

export interface GatewayFrontendOptions {
  host: string;
  /** The backends in rotation now (the running instances of the pool). */
  backends: () => Backend[];
  running: () => boolean;
  state: AzureTwinState;
  /** The backend settings' request timeout. */
  requestTimeoutMs: number;
}

export interface GatewayFrontend {
  url: string;
  port: number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

const BAD_GATEWAY_PAGE = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Microsoft-Azure-Application-Gateway/v2</center>\r\n</body>\r\n</html>\r\n';

interface Forwarded {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function forward(backend: Backend, req: http.IncomingMessage, body: Buffer, timeoutMs: number): Promise<Forwarded> {
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
  return new Promise((resolve, reject) => {
    const upstream = http.request(
      { host: backend.address, port: backend.port, method: req.method, path: req.url, headers, timeout: timeoutMs, agent: false },
      (res) => {
        readBody(res).then((answer) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: answer }), reject);
      },
    );
    upstream.on('timeout', () => upstream.destroy(Object.assign(new Error('the backend did not answer in time'), { code: 'ETIMEDOUT' })));
    upstream.on('error', reject);
    upstream.end(body);
  });
}

export async function startGatewayFrontend(o: GatewayFrontendOptions): Promise<GatewayFrontend> {
  let turn = 0;

  /** Tries the backends in rotation order, skipping those that refuse or time out. */
  const proxy = async (req: http.IncomingMessage, body: Buffer): Promise<Forwarded | undefined> => {
    const backends = o.running() ? o.backends() : [];
    const start = turn++;
    for (let k = 0; k < backends.length; k += 1) {
      const backend = backends[(start + k) % backends.length]!;
      try {
        return await forward(backend, req, body, o.requestTimeoutMs);
      } catch {
        // As Azure marks a backend down, try the next one.
      }
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const began = Date.now();
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    const finish = (status: number, headers: http.OutgoingHttpHeaders, body: Buffer | string) => {
      res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) }).end(body);
    };
    readBody(req)
      .then((body) => proxy(req, body))
      .then(
        (answer) => {
          if (!answer) return finish(502, { 'content-type': 'text/html', server: 'Microsoft-Azure-Application-Gateway/v2' }, BAD_GATEWAY_PAGE);
          const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name) && name !== 'content-length'));
          finish(answer.status, headers, answer.body);
          o.state.recordRequest({ at: new Date(began), method: req.method ?? 'GET', path, status: answer.status, durationMs: Date.now() - began });
        },
        () => res.destroy(),
      );
  });
  const port = await listen(server, o.host);
  return {
    url: `http://${o.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
