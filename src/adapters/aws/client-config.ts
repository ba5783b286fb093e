/** The settings every AWS SDK client of drsentinel shares: region, endpoint override, keys, private CA, timeouts. */
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.js';
import { readSecret } from '../../config/secrets.js';
import { requestTimeoutMs } from '../timeouts.js';

/**
 * The connection must open, and the socket may then stay silent, at most `sync.requestTimeoutSeconds`.
 * The idle bound is the handler's `socketTimeout`: it covers waiting for the answer, an upload
 * that stopped draining and a body that stopped arriving (the body stream fails with a
 * TimeoutError). Its `requestTimeout` would only log a warning unless told to throw, and then
 * bounds sending a whole body and waiting for the answer, which a large part legitimately
 * outlasts on a slow link.
 */
function requestHandler(config: Config, caFile: string | undefined) {
  const ms = requestTimeoutMs(config);
  return {
    connectionTimeout: ms,
    socketTimeout: ms,
    // A private CA (the lab's HTTPS twins) is trusted by this client's connections only.
    ...(caFile ? { httpsAgent: new https.Agent({ ca: readFileSync(caFile, 'utf8'), keepAlive: true }) } : {}),
  };
}

export function awsClientConfig(config: Config, endpoint: string | undefined, env: NodeJS.ProcessEnv, caFile?: string) {
  const { region, accessKeyId, secretAccessKey } = config.aws;
  return {
    region,
    ...(endpoint ? { endpoint } : {}),
    // Without explicit keys the SDK's default chain applies (instance role, environment, profile).
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId: readSecret(accessKeyId, env), secretAccessKey: readSecret(secretAccessKey, env) } }
      : {}),
    requestHandler: requestHandler(config, caFile),
  };
}
