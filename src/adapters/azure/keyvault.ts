/**
 * Key Vault certificates behind the CertificateVault port (@azure/keyvault-certificates).
 * The subject comes from the certificate itself (`cer`), the validity from Key Vault's
 * attributes. A vault behind a private CA (the lab's twin) does not live at `*.vault.azure.net`,
 * so only then is the challenge's resource allowed to differ from the vault's host.
 */
import { X509Certificate } from 'node:crypto';
import { CertificateClient, type KeyVaultCertificateWithPolicy } from '@azure/keyvault-certificates';
import type { Config } from '../../config/schema.js';
import { UsageError } from '../../core/errors.js';
import type { CertificateInfo, CertificateVault } from '../../core/ports.js';
import { azureCredential, clientOptions } from './credential.js';

function subjectOf(certificate: KeyVaultCertificateWithPolicy): string | undefined {
  if (certificate.cer && certificate.cer.length > 0) {
    try {
      return new X509Certificate(Buffer.from(certificate.cer)).subject.replaceAll('\n', ', ');
    } catch {
      // An unparsable `cer` leaves the policy's subject as the best account.
    }
  }
  return certificate.policy?.subject;
}

export class KeyVaultCertificates implements CertificateVault {
  constructor(
    readonly name: string,
    private readonly client: CertificateClient,
  ) {}

  async getCertificate(name: string, signal?: AbortSignal): Promise<CertificateInfo | undefined> {
    let certificate: KeyVaultCertificateWithPolicy;
    try {
      certificate = await this.client.getCertificate(name, { abortSignal: signal });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
    const { enabled, notBefore, expiresOn } = certificate.properties;
    const subject = subjectOf(certificate);
    return {
      name,
      enabled: enabled !== false,
      ...(notBefore ? { notBefore } : {}),
      ...(expiresOn ? { expiresOn } : {}),
      ...(subject ? { subject } : {}),
    };
  }
}

export function buildCertificateVault(config: Config, env: NodeJS.ProcessEnv = process.env): CertificateVault {
  const vault = config.azure.keyVault;
  if (!vault) throw new UsageError('the certificate check needs azure.keyVault (url, certificate)');
  const client = new CertificateClient(vault.url, azureCredential(config, env), {
    ...clientOptions(vault.url, vault.ca),
    ...(vault.ca ? { disableChallengeResourceVerification: true } : {}),
  });
  return new KeyVaultCertificates(new URL(vault.url).host, client);
}
