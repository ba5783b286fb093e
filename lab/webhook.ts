/**
 * The lab's webhook receiver: records every request (method, path, headers, JSON body) and,
 * like a real receiver, refuses a request without the expected bearer token. Tests can make
 * it answer an error status to see how a notifier reports one.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBody, type FaultSwitch } from './faults.js';
import { listen } from './ports.js';

export interface WebhookCall {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body parsed as JSON, or its text when it is not JSON. */
  body: unknown;
  /** The status the receiver answered. */
  status: number;
}

export interface WebhookSink {
  url: string;
  /** The bearer token the receiver expects. */
  token: string;
  received(): WebhookCall[];
  clear(): void;
  /** Answers every request with this status from now on (undefined: back to normal). */
  respondWith(status: number | undefined): void;
  close(): Promise<void>;
}

function parse(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startWebhookSink(o: { host: string; token: string; faults?: FaultSwitch }): Promise<WebhookSink> {
  const calls: WebhookCall[] = [];
  let forced: number | undefined;
  const server = http.createServer((req, res) => {
    // The `webhook` fault switch, as on every front: latency, a status, a dropped connection.
    const fault = o.faults?.draw('webhook', req.method);
    if (fault?.dropConnection) return void req.socket.destroy();
    readBody(req).then(
      async (raw) => {
        if (fault?.latencyMs) await sleep(fault.latencyMs);
        if (fault?.status) {
          return void res.writeHead(fault.status, { 'retry-after': String(fault.retryAfterSeconds ?? 1), 'content-type': 'text/plain' }).end(`lab fault: ${fault.status}`);
        }
        const authorized = req.headers.authorization === `Bearer ${o.token}`;
        const status = forced ?? (authorized ? 200 : 401);
        calls.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers }, body: parse(raw), status });
        const answer = JSON.stringify(status < 300 ? { ok: true } : { error: authorized ? `lab webhook answers ${status}` : 'missing or wrong bearer token' });
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
      },
      () => res.destroy(),
    );
  });
  const port = await listen(server, o.host);
  return {
    url: `http://${o.host}:${port}/hooks/drsentinel`,
    token: o.token,
    received: () => calls.map((c) => structuredClone(c)),
    clear: () => void calls.splice(0),
    respondWith: (status) => {
      forced = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
