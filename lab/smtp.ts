/**
 * The lab's SMTP sink: accepts every message (with any login, or none) and keeps it, parsed,
 * for tests and demos to read. Plain SMTP without STARTTLS, as a relay on a private network
 * is; a minimal MIME reader (headers, encoded words, multipart, base64 / quoted-printable) is
 * enough for what drsentinel sends.
 */
import type { AddressInfo } from 'node:net';
import type { FaultSwitch } from './faults.js';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** The From header, decoded. */
  from: string;
  /** The envelope's recipients: who the message was actually delivered to. */
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  /** The SMTP login used, if any. */
  user?: string;
  /** Top-level headers, lower-case names, decoded. */
  headers: Record<string, string>;
  raw: string;
}

export interface SmtpSink {
  host: string;
  port: number;
  messages(): ReceivedMail[];
  clear(): void;
  close(): Promise<void>;
}

interface Part {
  headers: Record<string, string>;
  body: string;
}

function splitPart(raw: string): Part {
  const end = raw.search(/\r?\n\r?\n/);
  const head = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? '' : raw.slice(end).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers[name] ??= decodeWords(line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function charsetText(bytes: Buffer, charset = 'utf-8'): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

function quotedPrintable(text: string): Buffer {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(soft[i]!, 'utf8'));
  }
  return Buffer.from(bytes);
}

/** RFC 2047 encoded words (`=?utf-8?B?…?=`, `=?utf-8?Q?…?=`), as nodemailer writes non-ASCII headers. */
function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[BQ]\?[^?]*\?=)\s+(?==\?)/gi, '$1')
    .replace(/=\?([^?]+)\?([BQ])\?([^?]*)\?=/gi, (_, charset: string, encoding: string, text: string) =>
      charsetText(encoding.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : quotedPrintable(text.replace(/_/g, ' ')), charset),
    );
}

function param(header: string | undefined, name: string): string | undefined {
  return new RegExp(`;\\s*${name}="?([^";]+)"?`, 'i').exec(header ?? '')?.[1];
}

function decodeBody(part: Part): string {
  const encoding = (part.headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const charset = param(part.headers['content-type'], 'charset');
  if (encoding === 'base64') return charsetText(Buffer.from(part.body.replace(/\s+/g, ''), 'base64'), charset);
  if (encoding === 'quoted-printable') return charsetText(quotedPrintable(part.body), charset);
  return part.body;
}

/** The first text/plain and text/html found, depth first. */
function bodies(part: Part): { text?: string; html?: string } {
  const type = (part.headers['content-type'] ?? 'text/plain').split(';')[0]!.trim().toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = param(part.headers['content-type'], 'boundary');
    if (!boundary) return {};
    const found: { text?: string; html?: string } = {};
    for (const chunk of part.body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const inner = bodies(splitPart(chunk.replace(/^\r?\n/, '')));
      found.text ??= inner.text;
      found.html ??= inner.html;
    }
    return found;
  }
  if (type === 'text/html') return { html: decodeBody(part) };
  if (type === 'text/plain') return { text: decodeBody(part) };
  return {};
}

export function parseMail(raw: string, envelope: { to: string[]; user?: string }): ReceivedMail {
  const top = splitPart(raw);
  const found = bodies(top);
  return {
    from: top.headers.from ?? '',
    to: envelope.to,
    subject: top.headers.subject ?? '',
    ...(found.text !== undefined ? { text: found.text.replace(/\r\n/g, '\n') } : {}),
    ...(found.html !== undefined ? { html: found.html.replace(/\r\n/g, '\n') } : {}),
    ...(envelope.user ? { user: envelope.user } : {}),
    headers: top.headers,
    raw,
  };
}

/** SMTP's "try again later": what a busy or failing mail server answers at the greeting. */
const SERVICE_NOT_AVAILABLE = 421;

export async function startSmtpSink(o: { host: string; faults?: FaultSwitch }): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    // The `smtp` fault switch: latency before the greeting; any status or a dropped connection
    // is refused with 421, as a mail server that cannot take the message now does.
    onConnect(_session, callback) {
      const fault = o.faults?.draw('smtp');
      const decide = () => {
        if (!fault?.status && !fault?.dropConnection) return callback();
        const refusal = Object.assign(new Error('lab fault: service not available, try again later'), { responseCode: SERVICE_NOT_AVAILABLE });
        callback(refusal);
      };
      if (fault?.latencyMs) setTimeout(decide, fault.latencyMs);
      else decide();
    },
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username }),
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        const user = typeof session.user === 'string' ? session.user : undefined;
        received.push(parseMail(Buffer.concat(chunks).toString('utf8'), { to, ...(user ? { user } : {}) }));
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, o.host, () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  return {
    host: o.host,
    port,
    messages: () => received.map((m) => ({ ...m, to: [...m.to], headers: { ...m.headers } })),
    clear: () => void received.splice(0),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
