/**
 * The incident's messages (R14–R16): one template per kind, every message stored with its time
 * before it is sent, internal ones sent at once, external ones held until a CTO approves them
 * (a CTO writing one approves it by writing it). Delivery failures are stored, never thrown
 * away: the timeline shows who was told what, and when — or that they were not.
 */
import type { RoleName } from '../config/schema.js';
import { ForbiddenError, NotFoundError, ConflictError } from '../core/errors.js';
import { describeError } from '../core/result.js';
import type { Message, Notifier } from '../core/ports.js';
import type { MessageRecord, Store } from '../store/types.js';

export const MESSAGE_KINDS = ['internal-alert', 'status-update', 'external-initial', 'external-progress', 'external-return', 'stabilisation'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** What a template may say. Free text (`text`) is what a person wrote for this message. */
export interface MessageFacts {
  scenario?: string;
  reason?: string;
  startedAt?: string;
  runbookReference?: string;
  runId?: string;
  text?: string;
  warRoom?: Record<string, string[]>;
}

interface Template {
  audience: MessageRecord['audience'];
  subject(f: MessageFacts): string;
  body(f: MessageFacts): string;
}

const line = (label: string, value: string | undefined) => (value ? `${label}: ${value}\n` : '');
const roster = (w: MessageFacts['warRoom']) =>
  w && Object.keys(w).length > 0 ? `War room:\n${Object.entries(w).map(([role, people]) => `  ${role}: ${people.join(', ')}`).join('\n')}\n` : '';

const TEMPLATES: Record<MessageKind, Template> = {
  'internal-alert': {
    audience: 'internal',
    subject: (f) => `[DR] Disaster recovery activated: ${f.scenario ?? 'failover to Azure'}`,
    body: (f) =>
      'The disaster-recovery plan is activated: production moves from AWS to the Azure standby.\n\n' +
      line('Scenario', f.scenario) + line('Reason', f.reason) + line('Started', f.startedAt) + line('Runbook', f.runbookReference) +
      line('Run', f.runId) + roster(f.warRoom),
  },
  'status-update': {
    audience: 'internal',
    subject: () => '[DR] Status update',
    body: (f) => `${f.text ?? ''}\n\n${line('Run', f.runId)}`,
  },
  'external-initial': {
    audience: 'external',
    subject: () => 'Service disruption: we are switching to our backup infrastructure',
    body: (f) =>
      'We are experiencing a disruption of our primary infrastructure and are moving the service to our backup site. ' +
      'Uploads may be briefly unavailable; your data is safe.\n' + (f.text ? `\n${f.text}\n` : ''),
  },
  'external-progress': {
    audience: 'external',
    subject: () => 'Service disruption: progress update',
    body: (f) => `${f.text ?? 'The switch to our backup infrastructure is progressing.'}\n`,
  },
  'external-return': {
    audience: 'external',
    subject: () => 'Service restored on our primary infrastructure',
    body: (f) => `The service is back on its primary infrastructure and works normally.\n${f.text ? `\n${f.text}\n` : ''}`,
  },
  stabilisation: {
    audience: 'internal',
    subject: () => '[DR] Stabilisation: watching the standby',
    body: (f) => `The standby serves production and is under observation.\n\n${f.text ? `${f.text}\n\n` : ''}${line('Run', f.runId)}`,
  },
};

export interface Caller {
  name: string;
  roles: readonly RoleName[];
}

export class Communications {
  constructor(
    private readonly store: Store,
    /** E-mail and webhook to the team. */
    private readonly internal: () => Notifier[],
    /** The status page, for customers. */
    private readonly external: () => Notifier[],
  ) {}

  compose(kind: MessageKind, facts: MessageFacts): { audience: MessageRecord['audience']; subject: string; body: string } {
    const template = TEMPLATES[kind];
    return { audience: template.audience, subject: template.subject(facts), body: template.body(facts) };
  }

  /** Stores the message, then sends it (internal, or external written by a CTO) or holds it for a CTO. */
  async post(kind: MessageKind, facts: MessageFacts, by: Caller, signal?: AbortSignal): Promise<MessageRecord> {
    const { audience, subject, body } = this.compose(kind, facts);
    const approved = audience === 'internal' || by.roles.includes('cto');
    const record = this.store.messages.create({
      kind, audience, subject, body, createdBy: by.name, status: approved ? 'sending' : 'awaiting-approval', ...(facts.runId ? { runId: facts.runId } : {}),
    });
    this.store.audit.append({ actor: by.name, action: 'message.create', target: record.id, details: { kind, audience, runId: facts.runId ?? null } });
    return approved ? this.#deliver(record, audience === 'external' ? by.name : undefined, signal) : record;
  }

  /** A CTO's decision on a held external message. */
  async decide(id: string, decision: 'approve' | 'reject', by: Caller, signal?: AbortSignal): Promise<MessageRecord> {
    const record = this.store.messages.get(id);
    if (!record) throw new NotFoundError(`message ${id} does not exist`);
    if (!by.roles.includes('cto')) throw new ForbiddenError(`external messages are approved by the cto; ${by.name} holds ${by.roles.join(', ')}`);
    if (record.status !== 'awaiting-approval') throw new ConflictError(`message ${id} is already ${record.status}`);
    this.store.audit.append({ actor: by.name, action: `message.${decision}`, target: id, details: { kind: record.kind } });
    if (decision === 'reject') return this.store.messages.settle(id, { status: 'rejected', decidedBy: by.name });
    return this.#deliver(record, by.name, signal);
  }

  async #deliver(record: MessageRecord, decidedBy: string | undefined, signal?: AbortSignal): Promise<MessageRecord> {
    const notifiers = record.audience === 'internal' ? this.internal() : this.external();
    const message: Message = { kind: record.kind, subject: record.subject, text: record.body, data: { messageId: record.id, runId: record.runId ?? null } };
    const delivered: string[] = [];
    const errors: string[] = [];
    for (const notifier of notifiers) {
      try {
        await notifier.send(message, signal);
        delivered.push(notifier.channel);
      } catch (err) {
        errors.push(`${notifier.channel}: ${describeError(err)}`);
      }
    }
    if (notifiers.length === 0) errors.push(`no ${record.audience} channel is configured (${record.audience === 'internal' ? 'notify.email or notify.webhook' : 'notify.statusPage'})`);
    const failed = delivered.length === 0;
    return this.store.messages.settle(record.id, {
      status: failed ? 'failed' : 'sent',
      ...(decidedBy ? { decidedBy } : {}),
      channels: delivered,
      ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
    });
  }
}
