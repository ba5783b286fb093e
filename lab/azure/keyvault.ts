/**
 * The Key Vault twin: certificates as `@azure/keyvault-certificates` reads and imports them.
 * Key Vault's own sign-in dance is kept: a request without a token gets 401 with a
 * `WWW-Authenticate` challenge naming the tenant and the resource, and the SDK retries with
 * the token. Certificates are real X.509 certificates (made with openssl), so `cer` parses and
 * the expiry the SDK reports is the certificate's own.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FaultSwitch } from '../faults.js';
import { azureError, startHttpsTwin, TwinRouter, type Authorize, type TwinAnswer } from '../https-twin.js';
import type { TwinCertificate } from '../tls.js';

/** The wildcard certificate of the demo zone, present from lab start (R5 check 6). */
export const WILDCARD_CERTIFICATE = 'wildcard-drsentinel-test';
const WILDCARD_DOMAIN = 'drsentinel.test';
const WILDCARD_DAYS = 90;
const TENANT = '00000000-0000-4000-8000-0000000a2b1e';
const NAME = /^[0-9a-zA-Z-]{1,127}$/;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export interface KeyVaultTwin {
  url: string;
  /** The name of the wildcard certificate made at start. */
  certificate: string;
  close(): Promise<void>;
}

interface StoredCertificate {
  version: string;
  x509: X509Certificate;
  created: number;
}

/**
 * A self-signed certificate for `*.<domain>` and `<domain>`, valid from now for `days` days,
 * with its private key: the PEM a user would import into Key Vault.
 */
export async function makeCertificatePem(domain: string, days: number): Promise<string> {
  if (!Number.isInteger(days) || days < 1) throw new Error(`a lab certificate lives at least 1 whole day, not ${days}`);
  const dir = await mkdtemp(join(tmpdir(), 'drsentinel-cert-'));
  try {
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    // EC keys: a certificate in milliseconds, where RSA would cost a noticeable share of lab start.
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-days', String(days), '-subj', `/CN=*.${domain}`, '-addext', `subjectAltName=DNS:*.${domain},DNS:${domain}`,
      '-keyout', key, '-out', cert,
    ]);
    return (await readFile(cert, 'utf8')) + (await readFile(key, 'utf8'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The certificate in an import's `value`: PEM text, or base64 of PEM text. PFX is not supported by the twin. */
function parseImportValue(value: unknown): X509Certificate | string {
  if (typeof value !== 'string' || value.length === 0) return 'The certificate value is missing.';
  const text = value.includes('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('latin1');
  if (!PEM_CERTIFICATE.test(text)) return 'The lab twin imports PEM certificates only; the value holds no PEM certificate.';
  try {
    return certificateOf(text);
  } catch (err) {
    return `The certificate does not parse: ${(err as Error).message}`;
  }
}

/** The first certificate of a PEM bundle (the private key may come first). */
function certificateOf(pem: string): X509Certificate {
  return new X509Certificate(PEM_CERTIFICATE.exec(pem)?.[0] ?? pem);
}

const seconds = (iso: string | number) => Math.floor(new Date(iso).getTime() / 1000);

function bundle(vaultUrl: string, name: string, c: StoredCertificate): unknown {
  const der = c.x509.raw;
  const base = (kind: string) => `${vaultUrl}/${kind}/${name}/${c.version}`;
  const attributes = {
    enabled: true,
    nbf: seconds(c.x509.validFrom),
    exp: seconds(c.x509.validTo),
    created: c.created,
    updated: c.created,
    recoveryLevel: 'Recoverable+Purgeable',
    recoverableDays: 90,
  };
  const dnsNames = (c.x509.subjectAltName ?? '').split(', ').flatMap((san) => (san.startsWith('DNS:') ? [san.slice(4)] : []));
  return {
    id: base('certificates'),
    kid: base('keys'),
    sid: base('secrets'),
    x5t: createHash('sha1').update(der).digest('base64url'),
    cer: der.toString('base64'),
    attributes,
    policy: {
      id: `${vaultUrl}/certificates/${name}/policy`,
      key_props: { exportable: true, kty: 'EC', crv: 'P-256', reuse_key: false },
      secret_props: { contentType: 'application/x-pem-file' },
      x509_props: { subject: c.x509.subject.replaceAll('\n', ', '), sans: { dns_names: dnsNames }, validity_months: 3 },
      issuer: { name: 'Self' },
      attributes: { enabled: true, created: c.created, updated: c.created },
    },
    tags: {},
  };
}

/** Key Vault's challenge: without the lab's token, 401 and where to get one. */
function challengeAuthorize(token: string): Authorize {
  return (req) => {
    const header = req.headers.authorization;
    if (header === `Bearer ${token}`) return undefined;
    const answer: TwinAnswer = azureError(401, 'Unauthorized', header ? 'AKV10032: Invalid issuer.' : 'AKV10000: Request is missing a Bearer or PoP token.');
    const challenge = `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`;
    return { ...answer, headers: { 'www-authenticate': challenge } };
  };
}

export async function startKeyVaultTwin(o: { host: string; tls: TwinCertificate; faults: FaultSwitch; token: string }): Promise<KeyVaultTwin> {
  const certificates = new Map<string, StoredCertificate[]>();
  let vaultUrl = '';
  const notFound = (name: string) =>
    azureError(404, 'CertificateNotFound', `A certificate with (name/id) ${name} was not found in this key vault.`);
  const install = (name: string, x509: X509Certificate): StoredCertificate => {
    const stored = { version: randomUUID().replaceAll('-', ''), x509, created: Math.floor(Date.now() / 1000) };
    certificates.set(name, [...(certificates.get(name) ?? []), stored]);
    return stored;
  };

  const router = new TwinRouter()
    .add('GET', '/certificates/:name', ({ params }) => {
      const latest = certificates.get(params.name!)?.at(-1);
      return latest ? { status: 200, body: bundle(vaultUrl, params.name!, latest) } : notFound(params.name!);
    })
    .add('GET', '/certificates/:name/:version', ({ params }) => {
      const found = certificates.get(params.name!)?.find((c) => c.version === params.version);
      return found ? { status: 200, body: bundle(vaultUrl, params.name!, found) } : notFound(`${params.name}/${params.version}`);
    })
    .add('POST', '/certificates/:name/import', ({ params, body }) => {
      const name = params.name!;
      if (!NAME.test(name)) return azureError(400, 'BadParameter', `The certificate name ${name} is invalid: use 1-127 letters, digits and dashes.`);
      const parsed = parseImportValue((body as { value?: unknown } | undefined)?.value);
      if (typeof parsed === 'string') return azureError(400, 'BadParameter', parsed);
      return { status: 200, body: bundle(vaultUrl, name, install(name, parsed)) };
    });

  const twin = await startHttpsTwin({ service: 'keyvault', host: o.host, tls: o.tls, faults: o.faults, router, authorize: challengeAuthorize(o.token) });
  vaultUrl = twin.url;
  try {
    install(WILDCARD_CERTIFICATE, certificateOf(await makeCertificatePem(WILDCARD_DOMAIN, WILDCARD_DAYS)));
  } catch (err) {
    await twin.close();
    throw err;
  }
  return { url: twin.url, certificate: WILDCARD_CERTIFICATE, close: () => twin.close() };
}
