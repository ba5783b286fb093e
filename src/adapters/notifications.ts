/**
 * Who is told: the team (e-mail and/or webhook) and the customers (the status page). Each
 * channel is built on first use, when its secret is read. The factory (index.ts) loads this
 * module only when asked for it, so that a process that only syncs never loads the mailer.
 */
import type { Config } from '../config/schema.js';
import type { Notifier } from '../core/ports.js';
import { buildEmailNotifier } from './notify/email.js';
import { buildWebhookNotifier } from './notify/webhook.js';
import { once } from './once.js';

export interface Notifications {
  /** Every configured channel to the team: e-mail and/or webhook. */
  team(): Notifier[];
  /** The e-mail channel alone, which reports are sent by; none when notify.email is not configured. */
  email(): Notifier[];
  /** The status page, for customers; none when notify.statusPage is not configured. */
  statusPage(): Notifier[];
}

export function buildNotifications(config: Config, env: NodeJS.ProcessEnv = process.env): Notifications {
  const { email, webhook, statusPage } = config.notify;
  const emailChannel = once(() => (email ? [buildEmailNotifier(email, env)] : []));
  const webhookChannel = once(() => (webhook ? [buildWebhookNotifier(webhook, env)] : []));
  return {
    team: () => [...emailChannel(), ...webhookChannel()],
    email: emailChannel,
    statusPage: once(() => (statusPage ? [buildWebhookNotifier(statusPage, env)] : [])),
  };
}
