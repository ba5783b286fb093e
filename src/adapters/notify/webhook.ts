/**
 * A webhook as a Notifier: the message as JSON (`kind`, `subject`, `text`, `data`), POSTed
 * with a bearer token when one is configured. Errors name only the receiver's host: a
 * webhook URL often carries its secret in the path (Slack, Teams).
 */
import type { Config } from '../../config/schema.js';
import { readSecret } from '../../config/secrets.js';
import type { Message, Notifier } from '../../core/ports.js';
import { VERSION } from '../../core/version.js';

const TIMEOUT_MS = 10_000;

export class WebhookNotifier implements Notifier {
  readonly channel = 'webhook';
  private readonly host: string;

  constructor(
    private readonly url: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {
    this.host = new URL(url).host;
  }

  async send(message: Message, signal?: AbortSignal): Promise<void> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const body = JSON.stringify({ kind: message.kind, subject: message.subject, text: message.text, data: message.data ?? {} });
    let response: Response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': `drsentinel/${VERSION}`,
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (err) {
      const why = timeout.aborted ? `no answer within ${this.timeoutMs} ms` : ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      throw new Error(`the ${message.kind} webhook to ${this.host} was not delivered: ${why}`, { cause: err });
    }
    // Drain the body so the connection can be reused; the receiver's words are not needed.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) {
      const hint = response.status === 401 || response.status === 403 ? ' (check notify.webhook.token)' : '';
      throw new Error(`the ${message.kind} webhook to ${this.host} was refused: HTTP ${response.status}${hint}`);
    }
  }
}

export function buildWebhookNotifier(webhook: NonNullable<Config['notify']['webhook']>, env: NodeJS.ProcessEnv = process.env): WebhookNotifier {
  return new WebhookNotifier(webhook.url, webhook.token ? readSecret(webhook.token, env) : undefined);
}
