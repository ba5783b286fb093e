import type { Config } from '../config/schema.js';

/**
 * The seven monthly checks of the runbook (R5), in its order, with what a person should
 * try first when one fails. The ids are the probes' stable check ids; the thresholds are the
 * config's, which the checks themselves apply.
 */
export interface MonthlyCheckEntry {
  id: string;
  title: string;
  hint: string;
}

export function monthlyChecks(config: Config): readonly MonthlyCheckEntry[] {
  const capacity = config.activation.vmssStandby;
  const minDays = config.checks.certificateMinDays;
  return [
    {
      id: 'static-site',
      title: 'Static website answers',
      hint: 'run `drsentinel sync site` to copy the site into the $web container again, then check that static website hosting is enabled with index.html as the index document.',
    },
    {
      id: 'cosmos',
      title: 'Cosmos DB reachable, readable and writable',
      hint: 'check that the Cosmos account is online, that the database and container exist and that the key drsentinel uses still allows writes (it may have been rotated or made read-only).',
    },
    {
      id: 'conversion-function',
      title: 'Conversion function deployed with its blob trigger',
      hint: 'redeploy the Function App package, then check that the function is listed with its blobTrigger on the uploads container.',
    },
    {
      id: 'scale-set',
      title: `API scale set defined, healthy, at capacity ${capacity}`,
      hint: `set the scale set's capacity back to ${capacity} (warm standby) if it was left scaled, and check that its image reference and start-up scripts still exist.`,
    },
    {
      id: 'app-gateway',
      title: 'Application Gateway provisioned and running',
      hint: 'start the Application Gateway if it was stopped, and look at its provisioning errors in the Azure portal if it is not Succeeded.',
    },
    {
      id: 'certificate',
      title: `Wildcard certificate valid for more than ${minDays} days`,
      hint: 'renew the wildcard certificate and import the new version into Key Vault; the Application Gateway picks up the latest version.',
    },
    {
      id: 'dns-standby',
      title: "Standby DNS record points at the gateway's address",
      hint: "set the standby record to the Application Gateway's public IP with a short TTL, then re-run the check once the resolvers' caches have expired.",
    },
  ];
}
