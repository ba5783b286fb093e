import t from 'tap';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { CertificateClient } from '@azure/keyvault-certificates';
import { makeCertificatePem, WILDCARD_CERTIFICATE } from '../../lab/azure/keyvault.js';
import { buildCertificateVault } from '../../src/adapters/azure/keyvault.js';
import { azureCredential, clientOptions } from '../../src/adapters/azure/credential.js';
import { UsageError } from '../../src/core/errors.js';
import { keyVaultAlone } from '../helpers/azure-twin.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const { config, env, url, certificate, ca } = await keyVaultAlone(t);
const client = new CertificateClient(url, azureCredential(config, env), { ...clientOptions(url, ca), disableChallengeResourceVerification: true });
const daysLeft = (expiresOn: Date | undefined) => Math.round(((expiresOn?.getTime() ?? 0) - Date.now()) / DAY_MS);

/** One raw HTTPS request, to see what the SDK hides: the challenge of a request without a token. */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${url}${path}`, { ca: readFileSync(ca), headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject).end();
  });
}

t.test('the lab starts with a real 90-day wildcard certificate, read by the official SDK', async (t) => {
  t.equal(certificate, WILDCARD_CERTIFICATE);
  const found = await client.getCertificate(certificate);
  t.equal(found.name, certificate);
  t.equal(found.properties.enabled, true);
  t.equal(daysLeft(found.properties.expiresOn), 90);
  const x509 = new X509Certificate(Buffer.from(found.cer!));
  t.equal(x509.subject, 'CN=*.drsentinel.test');
  t.equal(new Date(x509.validTo).getTime(), found.properties.expiresOn!.getTime());
  t.match(found.properties.id, new RegExp(`^${url}/certificates/${certificate}/[0-9a-f]{32}$`));
});

t.test('a request without a token gets Key Vault\'s challenge; a wrong token is refused', async (t) => {
  const anonymous = await raw(`/certificates/${certificate}/?api-version=7.6`);
  t.equal(anonymous.status, 401);
  t.match(String(anonymous.headers['www-authenticate']), /^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[^"]+", resource="https:\/\/vault\.azure\.net"$/);
  const wrong = await raw(`/certificates/${certificate}/?api-version=7.6`, { authorization: 'Bearer not-the-token' });
  t.equal(wrong.status, 401);
  t.equal(JSON.parse(wrong.body).error.code, 'Unauthorized');
});

t.test('importCertificate installs a new version, PEM as text or as base64 bytes', async (t) => {
  const pem = await makeCertificatePem('soon.test', 10);
  const asText = await client.importCertificate('soon-test', Buffer.from(pem), { policy: { contentType: 'application/x-pem-file' } });
  t.equal(daysLeft(asText.properties.expiresOn), 10);
  const later = await makeCertificatePem('soon.test', 45);
  const asBase64 = await client.importCertificate('soon-test', Buffer.from(later));
  t.equal(daysLeft(asBase64.properties.expiresOn), 45);
  t.not(asBase64.properties.version, asText.properties.version);
  t.equal(daysLeft((await client.getCertificate('soon-test')).properties.expiresOn), 45, 'the latest version is served');
  const first = await client.getCertificateVersion('soon-test', asText.properties.version!);
  t.equal(daysLeft(first.properties.expiresOn), 10, 'older versions stay readable');
});

t.test('what is not a PEM certificate is refused with BadParameter', async (t) => {
  await t.rejects(client.importCertificate('broken', Buffer.from('not a certificate')), { statusCode: 400, code: 'BadParameter' });
});

t.test('an unknown certificate is 404 CertificateNotFound; the adapter says undefined', async (t) => {
  await t.rejects(client.getCertificate('no-such-certificate'), { statusCode: 404, code: 'CertificateNotFound' });
  const vault = buildCertificateVault(config, env);
  t.equal(await vault.getCertificate('no-such-certificate'), undefined);
  const info = await vault.getCertificate(certificate);
  t.equal(info?.subject, 'CN=*.drsentinel.test');
  t.equal(info?.enabled, true);
  t.equal(daysLeft(info?.expiresOn), 90);
  t.ok(info?.notBefore && info.notBefore.getTime() <= Date.now());
});

t.test('without azure.keyVault the adapter names the missing section', async (t) => {
  t.throws(() => buildCertificateVault({ ...config, azure: { ...config.azure, keyVault: undefined } }, env), new UsageError('the certificate check needs azure.keyVault (url, certificate)'));
});
