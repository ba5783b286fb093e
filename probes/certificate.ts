/**
 * The wildcard TLS certificate in Key Vault (R5 check 6, R12): present, enabled, already valid
 * and valid for more than `minDays` days. Its expiry is measured (`expiresAt`, Unix seconds)
 * whether it passes or not, so the dashboard can count the days down.
 */
import type { Check } from '../src/core/result.js';
import { describeError, fail, pass } from '../src/core/result.js';
import type { CertificateInfo, CertificateVault } from '../src/core/ports.js';

export interface CertificateCheckOptions {
  /** The certificate's name in the vault. */
  name: string;
  /** It must stay valid for more than this many days. */
  minDays: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const day = (d: Date) => d.toISOString().slice(0, 10);
const days = (n: number) => `${n} day${n === 1 ? '' : 's'}`;

function evidenceOf(vault: string, info: CertificateInfo): Record<string, unknown> {
  return {
    vault,
    certificate: info.name,
    enabled: info.enabled,
    ...(info.subject ? { subject: info.subject } : {}),
    ...(info.notBefore ? { notBefore: info.notBefore.toISOString() } : {}),
    ...(info.expiresOn ? { expiresOn: info.expiresOn.toISOString() } : {}),
  };
}

export function certificateCheck(vault: CertificateVault, opts: CertificateCheckOptions): Check {
  const { name, minDays } = opts;
  return {
    id: 'certificate',
    title: `the certificate ${name} in Key Vault is valid for more than ${days(minDays)}`,
    async run(ctx) {
      let info: CertificateInfo | undefined;
      try {
        info = await vault.getCertificate(name, ctx.signal);
      } catch (err) {
        return fail(`the certificate ${name} could not be read from the Key Vault ${vault.name}: ${describeError(err)}`, { vault: vault.name, certificate: name });
      }
      if (!info) return fail(`the Key Vault ${vault.name} has no certificate named ${name}`, { vault: vault.name, certificate: name });
      const evidence = evidenceOf(vault.name, info);
      if (!info.expiresOn) return fail(`the certificate ${name} has no expiry date in Key Vault`, evidence);
      const now = ctx.now();
      const left = (info.expiresOn.getTime() - now.getTime()) / DAY_MS;
      // Shown rounded ("in 10 days" for a certificate made 10 days long a moment ago); judged exactly.
      const shown = Math.round(Math.abs(left));
      const measurements = { daysLeft: Math.round(left * 100) / 100, expiresAt: Math.floor(info.expiresOn.getTime() / 1000) };
      const until = day(info.expiresOn);
      if (!info.enabled) return fail(`the certificate ${name} is disabled in Key Vault`, evidence, measurements);
      if (info.notBefore && info.notBefore > now) return fail(`the certificate ${name} is not valid before ${info.notBefore.toISOString()}`, evidence, measurements);
      if (left <= 0) return fail(`the certificate ${name} expired ${days(shown)} ago (on ${until})`, evidence, measurements);
      if (left <= minDays) {
        return fail(`the certificate ${name} expires in ${days(shown)} (on ${until}); it must stay valid for more than ${days(minDays)}`, evidence, measurements);
      }
      return pass(`the certificate ${name} is valid for ${days(Math.floor(left))} more (until ${until})`, evidence, measurements);
    },
  };
}
