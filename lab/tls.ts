/**
 * The certificate of the lab's HTTPS twins (ARM, Key Vault, Monitor, CloudWatch). The Azure
 * SDKs refuse to send a bearer token over plain HTTP, so the twins speak TLS with a
 * self-signed certificate made at lab start; clients trust it through `ca` in the config,
 * which affects only their own connections.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

export interface TwinCertificate {
  /** PEM file of the certificate, to give clients as their CA (`ca` in endpoints.json). */
  caFile: string;
  cert: string;
  key: string;
}

/** Valid for every loopback address the twins use. */
export async function makeTwinCertificate(dir: string, addresses: string[]): Promise<TwinCertificate> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'twin-ca.pem');
  const keyFile = join(dir, 'twin-key.pem');
  const san = ['DNS:localhost', ...addresses.map((a) => `IP:${a}`)].join(',');
  try {
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30',
      '-subj', '/CN=drsentinel lab twin', '-addext', `subjectAltName=${san}`,
      '-keyout', keyFile, '-out', caFile,
    ]);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'openssl is not installed' : (err as Error).message;
    throw new Error(`cannot make the lab's TLS certificate: ${reason}`);
  }
  const [cert, key] = await Promise.all([readFile(caFile, 'utf8'), readFile(keyFile, 'utf8')]);
  return { caFile, cert, key };
}
