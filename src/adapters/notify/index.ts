/** Every configured notification channel: e-mail and/or webhook. Secrets are read now. */
import type { Config } from '../../config/schema.js';
import type { Notifier } from '../../core/ports.js';
import { buildEmailNotifier } from './email.js';
import { buildWebhookNotifier } from './webhook.js';

export function buildNotifiers(config: Config, env: NodeJS.ProcessEnv = process.env): Notifier[] {
  const { email, webhook } = config.notify;
  return [...(email ? [buildEmailNotifier(email, env)] : []), ...(webhook ? [buildWebhookNotifier(webhook, env)] : [])];
}
