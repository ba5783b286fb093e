/**
 * The production API behind AWS's load balancer, as far as a rollback needs it (R13.3): the
 * ALB health URL and a critical endpoint, on the address the demo names point at in production.
 * Tests switch it unhealthy to see the re-validation refuse the return.
 */
import http from 'node:http';
import { listen } from '../ports.js';

export interface AlbTwin {
  /** Base URL, e.g. http://127.0.0.90:41234. */
  url: string;
  /** The URLs a rollback re-validates. */
  healthUrls: string[];
  /** false: every endpoint answers 503, as an ALB with no healthy target does. */
  setHealthy(healthy: boolean): void;
  close(): Promise<void>;
}

export async function startAlbTwin(o: { host: string }): Promise<AlbTwin> {
  let healthy = true;
  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://alb').pathname;
    if (!healthy) return void res.writeHead(503, { 'content-type': 'text/plain' }).end('503 Service Temporarily Unavailable');
    if (path === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (path === '/api/status') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"service":"api","region":"aws"}');
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  const url = `http://${o.host}:${await listen(server, o.host)}`;
  return {
    url,
    healthUrls: [`${url}/health`, `${url}/api/status`],
    setHealthy: (value) => void (healthy = value),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
