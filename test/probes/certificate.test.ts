import t from 'tap';
import { CertificateClient } from '@azure/keyvault-certificates';
import { makeCertificatePem } from '../../lab/azure/keyvault.js';
import { certificateCheck } from '../../probes/certificate.js';
import { buildCertificateVault } from '../../src/adapters/azure/keyvault.js';
import { azureCredential, clientOptions } from '../../src/adapters/azure/credential.js';
import { runCheck } from '../../src/core/result.js';
import { keyVaultAlone } from '../helpers/azure-twin.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const { config, env, url, certificate, ca } = await keyVaultAlone(t);
const vault = buildCertificateVault(config, env);
// The twin is broken and repaired as a person would: importing a certificate into the vault.
const client = new CertificateClient(url, azureCredential(config, env), { ...clientOptions(url, ca), disableChallengeResourceVerification: true });
const install = async (days: number) =>
  client.importCertificate(certificate, Buffer.from(await makeCertificatePem('drsentinel.test', days)), { policy: { contentType: 'application/x-pem-file' } });
const check = (name = certificate) => runCheck(certificateCheck(vault, { name, minDays: 30 }), { now: () => new Date() }, 30_000);
const day = (d: Date) => d.toISOString().slice(0, 10);

t.test('the lab\'s wildcard certificate passes, with its expiry measured', async (t) => {
  const result = await check();
  t.equal(result.status, 'pass', result.reason);
  const expires = new Date(Date.now() + 90 * DAY_MS);
  t.match(result.reason, new RegExp(`^the certificate ${certificate} is valid for 89 days more \\(until (${day(expires)}|${day(new Date(expires.getTime() - DAY_MS))})\\)$`));
  t.ok(Math.abs(result.measurements.expiresAt! * 1000 - expires.getTime()) < DAY_MS);
  t.ok(result.measurements.daysLeft! > 89 && result.measurements.daysLeft! <= 90);
  t.match(result.evidence, { certificate, subject: 'CN=*.drsentinel.test', enabled: true, expiresOn: String });
});

t.test('a certificate expiring in 10 days fails, naming the days and the date; a fresh one repairs it', async (t) => {
  const soon = await install(10);
  const broken = await check();
  t.equal(broken.status, 'fail');
  t.equal(broken.reason, `the certificate ${certificate} expires in 10 days (on ${day(soon.properties.expiresOn!)}); it must stay valid for more than 30 days`);
  t.equal(broken.measurements.expiresAt, soon.properties.expiresOn!.getTime() / 1000);
  t.ok(broken.measurements.daysLeft! <= 10 && broken.measurements.daysLeft! > 9);

  await install(90);
  const repaired = await check();
  t.equal(repaired.status, 'pass', repaired.reason);
});

t.test('a certificate missing from the vault fails, naming it', async (t) => {
  const result = await check('no-such-wildcard');
  t.equal(result.status, 'fail');
  t.equal(result.reason, `the Key Vault ${vault.name} has no certificate named no-such-wildcard`);
});

t.test('a vault that cannot be reached fails with the reason', async (t) => {
  const unreachable = buildCertificateVault({ ...config, azure: { ...config.azure, keyVault: { ...config.azure.keyVault!, url: 'https://127.0.0.1:9' } } }, env);
  const result = await runCheck(certificateCheck(unreachable, { name: certificate, minDays: 30 }), { now: () => new Date() }, 60_000);
  t.equal(result.status, 'fail');
  t.match(result.reason, new RegExp(`^the certificate ${certificate} could not be read from the Key Vault 127\\.0\\.0\\.1:9: .*ECONNREFUSED`));
});
