/**
 * Azure's static-website endpoint for the twin: Azurite stores `$web` but serves no website.
 * Folders answer with their index document (with or without the trailing slash), a missing
 * page answers 404 with the error document, and the content headers come from the blob.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { BlobServiceClient, RestError, type ContainerClient } from '@azure/storage-blob';
import { listen } from './ports.js';

export interface WebsiteOptions {
  /** A client, or the connection string to build one from. */
  blobService: BlobServiceClient | string;
  container?: string;
  host: string;
  port?: number;
  indexDocument?: string;
  errorDocument?: string;
}

interface Found {
  status: number;
  headers: Record<string, string>;
  body?: NodeJS.ReadableStream;
}

const isNotFound = (err: unknown) => err instanceof RestError && err.statusCode === 404;

function headersOf(p: {
  contentType?: string;
  contentLength?: number;
  cacheControl?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  etag?: string;
  lastModified?: Date;
}): Record<string, string> {
  const h: Record<string, string> = { 'content-type': p.contentType || 'application/octet-stream' };
  if (p.contentLength !== undefined) h['content-length'] = String(p.contentLength);
  if (p.cacheControl) h['cache-control'] = p.cacheControl;
  if (p.contentEncoding) h['content-encoding'] = p.contentEncoding;
  if (p.contentLanguage) h['content-language'] = p.contentLanguage;
  if (p.etag) h['etag'] = p.etag;
  if (p.lastModified) h['last-modified'] = p.lastModified.toUTCString();
  return h;
}

/** Reads one blob (body only for GET); undefined when it does not exist. */
async function readBlob(container: ContainerClient, key: string, withBody: boolean): Promise<Found | undefined> {
  const blob = container.getBlobClient(key);
  try {
    if (!withBody) return { status: 200, headers: headersOf(await blob.getProperties()) };
    const res = await blob.download();
    return { status: 200, headers: headersOf(res), body: res.readableStreamBody };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function startWebsite(opts: WebsiteOptions): Promise<{ url: string; close(): Promise<void> }> {
  const service = typeof opts.blobService === 'string' ? BlobServiceClient.fromConnectionString(opts.blobService) : opts.blobService;
  const container = service.getContainerClient(opts.container ?? '$web');
  const indexDocument = opts.indexDocument ?? 'index.html';
  const errorDocument = opts.errorDocument ?? '404.html';

  async function resolve(path: string, withBody: boolean): Promise<Found> {
    const key = path.replace(/^\/+/, '');
    if (key === '' || key.endsWith('/')) {
      const found = await readBlob(container, key + indexDocument, withBody);
      if (found) return found;
    } else {
      const found = (await readBlob(container, key, withBody)) ?? (await readBlob(container, `${key}/${indexDocument}`, withBody));
      if (found) return found;
    }
    const error = await readBlob(container, errorDocument, withBody);
    if (error) return { ...error, status: 404 };
    return { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: undefined };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://website').pathname);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('Bad request\n');
      return;
    }
    const withBody = req.method === 'GET';
    const found = await resolve(path, withBody);
    if (found.status === 200 && found.headers.etag && req.headers['if-none-match'] === found.headers.etag) {
      found.body?.resume();
      res.writeHead(304, { etag: found.headers.etag }).end();
      return;
    }
    res.writeHead(found.status, found.headers);
    if (!withBody) res.end();
    else if (found.body) await pipeline(found.body, res);
    else res.end(found.status === 404 ? 'The requested content does not exist.\n' : '');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' }).end(`Blob storage error: ${(err as Error).message}\n`);
      else res.destroy();
    });
  });
  const port = await listen(server, opts.host, opts.port ?? 0);
  return {
    url: `http://${opts.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
