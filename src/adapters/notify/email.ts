/**
 * E-mail over SMTP (nodemailer) as a Notifier: sync alerts to DevOps by default, the monthly
 * report to whoever the message names. The password is read from its secret once; nodemailer
 * reports failures with the server's reply, which never carries it.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Config } from '../../config/schema.js';
import { readSecret } from '../../config/secrets.js';
import type { Message, Notifier } from '../../core/ports.js';
import { untilAborted } from './abort.js';

type EmailConfig = NonNullable<Config['notify']['email']>;

const TIMEOUT_MS = 15_000;

export class EmailNotifier implements Notifier {
  readonly channel = 'email';

  constructor(
    private readonly transport: Transporter,
    private readonly from: string,
    /** Who gets a message that names nobody. */
    private readonly audience: string[],
  ) {}

  async send(message: Message, signal?: AbortSignal): Promise<void> {
    const to = message.to?.length ? message.to : this.audience;
    if (to.length === 0) throw new Error(`the ${message.kind} e-mail has no recipient: set notify.email.devops`);
    const notSent = (err: unknown) => new Error(`the ${message.kind} e-mail to ${to.join(', ')} was not sent: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    // Stopped before it began: nothing is sent.
    if (signal?.aborted) throw notSent(signal.reason);
    const sending = this.transport.sendMail({
      from: this.from,
      to,
      subject: message.subject,
      text: message.text,
      ...(message.html !== undefined ? { html: message.html } : {}),
      headers: { 'X-Drsentinel-Kind': message.kind },
    });
    try {
      await untilAborted(sending, signal);
    } catch (err) {
      throw notSent(err);
    }
  }
}

export function buildEmailNotifier(email: EmailConfig, env: NodeJS.ProcessEnv = process.env): EmailNotifier {
  const auth = email.user ? { user: email.user, ...(email.password ? { pass: readSecret(email.password, env) } : {}) } : undefined;
  const transport = nodemailer.createTransport({
    host: email.host,
    port: email.port,
    secure: email.secure,
    ...(auth ? { auth } : {}),
    connectionTimeout: TIMEOUT_MS,
    greetingTimeout: TIMEOUT_MS,
    socketTimeout: TIMEOUT_MS,
  });
  const audience = email.devops.length > 0 ? email.devops : [email.techLead];
  return new EmailNotifier(transport, email.from, audience);
}
