/** The settings every AWS SDK client of drsentinel shares: region, endpoint override, keys, private CA. */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.js';
import { readSecret } from '../../config/secrets.js';

export function awsClientConfig(config: Config, endpoint: string | undefined, env: NodeJS.ProcessEnv, caFile?: string) {
  const { region, accessKeyId, secretAccessKey } = config.aws;
  return {
    region,
    ...(endpoint ? { endpoint } : {}),
    // Without explicit keys the SDK's default chain applies (instance role, environment, profile).
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId: readSecret(accessKeyId, env), secretAccessKey: readSecret(secretAccessKey, env) } }
      : {}),
    // A private CA (the lab's HTTPS twins) is trusted by this client's connections only.
    ...(caFile ? { requestHandler: { httpsAgent: new https.Agent({ ca: readFileSync(caFile, 'utf8'), keepAlive: true }) } } : {}),
  };
}
