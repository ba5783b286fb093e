/**
 * The incident's messages (R14–R16): one template per kind, every message stored with its time
 * before it is sent, internal ones sent at once, external ones held until a CTO approves them
 * (a CTO writing one approves it by writing it, unless four eyes are required). Each goes out
 * once: only the caller that moves it to `sending` delivers it. A drill's messages say so
 * first thing. Delivery failures are stored, never thrown away: the timeline shows who was
 * told what, and when — or that they were not.
 */
import type { RoleName } from '../core/roles.js';
import { ForbiddenError, NotFoundError, ConflictError } from '../core/errors.js';
import { describeError } from '../core/result.js';
import type { Message, Notifier } from '../core/ports.js';
import type { MessageRecord, RunbookRunRecord, Store } from '../store/types.js';

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

/** A game day fails over for real, and a dry-run is a rehearsal: neither is an incident. */
export function isDrill(run: Pick<RunbookRunRecord, 'runbook' | 'dryRun'>): boolean {
  return run.runbook === 'game-day' || run.dryRun;
}

interface Composed {
  audience: MessageRecord['audience'];
  subject: string;
  body: string;
}

export const DRILL_MARK = '[DRILL]';

/** First in subject and text, so no reader and no mail client's preview takes a drill for an incident. */
function markDrill(composed: Composed): Composed {
  return { ...composed, subject: `${DRILL_MARK} ${composed.subject}`, body: `${DRILL_MARK} This is a drill, not an incident.\n\n${composed.body}` };
}

export interface CommunicationsOptions {
  /** `activation.fourEyes`: nobody approves an external message they wrote, a CTO included. */
  fourEyes?: boolean;
}

export class Communications {
  constructor(
    private readonly store: Store,
    /** E-mail and webhook to the team. */
    private readonly internal: () => Notifier[],
    /** The status page, for customers. */
    private readonly external: () => Notifier[],
    private readonly options: CommunicationsOptions = {},
  ) {}

  compose(kind: MessageKind, facts: MessageFacts, drill = false): Composed {
    const template = TEMPLATES[kind];
    const composed = { audience: template.audience, subject: template.subject(facts), body: template.body(facts) };
    return drill ? markDrill(composed) : composed;
  }

  /** Stores the message, then sends it (internal, or external approved by its author) or holds it for a CTO. */
  async post(kind: MessageKind, facts: MessageFacts, by: Caller, signal?: AbortSignal): Promise<MessageRecord> {
    const { audience, subject, body } = this.compose(kind, facts, await this.#drill(facts.runId));
    const approvedByAuthor = audience === 'external' && by.roles.includes('cto') && !this.options.fourEyes;
    const sendNow = audience === 'internal' || approvedByAuthor;
    const record = await this.store.messages.create({
      kind, audience, subject, body, createdBy: by.name, status: sendNow ? 'sending' : 'awaiting-approval',
      ...(facts.runId ? { runId: facts.runId } : {}), ...(approvedByAuthor ? { decidedBy: by.name } : {}),
    });
    await this.store.audit.append({ actor: by.name, action: 'message.create', target: record.id, details: { kind, audience, runId: facts.runId ?? null } });
    return sendNow ? this.#deliver(record, signal) : record;
  }

  /**
   * A CTO's decision on a held external message. Only the decision that moves it out of
   * `awaiting-approval` counts: an approval that comes second answers with the message as it
   * stands (a replay, nothing sent again), a contradicting decision is a conflict.
   */
  async decide(id: string, decision: 'approve' | 'reject', by: Caller, signal?: AbortSignal): Promise<MessageRecord> {
    const record = await this.#get(id);
    if (!by.roles.includes('cto')) throw new ForbiddenError(`external messages are approved by the cto; ${by.name} holds ${by.roles.join(', ')}`);
    if (record.audience === 'internal') throw new ConflictError(`message ${id} is internal: it went out when it was posted, no approval is asked`);
    if (decision === 'approve' && this.options.fourEyes && record.createdBy === by.name) {
      throw new ForbiddenError(`four eyes (activation.fourEyes): ${by.name} wrote message ${id}, so another cto approves it`);
    }
    const outcome = { status: decision === 'approve' ? ('sending' as const) : ('rejected' as const), decidedBy: by.name };
    const audit = { actor: by.name, action: `message.${decision}`, target: id, details: { kind: record.kind } };
    if (!(await this.store.messages.decide(id, outcome, audit))) return this.#decidedBefore(id, decision);
    const claimed = await this.#get(id);
    return decision === 'approve' ? this.#deliver(claimed, signal) : claimed;
  }

  /**
   * Sends again a message that reached no channel, or whose delivery a restart cut short — a
   * person's call, since the latter may have reached its readers already. External ones by a CTO.
   */
  async retry(id: string, by: Caller, signal?: AbortSignal): Promise<MessageRecord> {
    const record = await this.#get(id);
    if (record.audience === 'external' && !by.roles.includes('cto')) throw new ForbiddenError(`external messages are sent again by the cto; ${by.name} holds ${by.roles.join(', ')}`);
    if (!(await this.store.messages.retry(id, { actor: by.name, action: 'message.retry', target: id, details: { kind: record.kind, was: record.status } }))) {
      throw new ConflictError(`message ${id} is ${(await this.#get(id)).status}: only a failed message, or one whose delivery a restart interrupted, is sent again`);
    }
    return this.#deliver(await this.#get(id), signal);
  }

  /**
   * At start, before anything is sent: a message still `sending` was cut short by a crash or a
   * stop, and whether it reached anyone is unknown. Sending it again on our own could tell
   * customers twice, so it stays `sending`, says so, and waits for a person. Returns how many.
   */
  markInterrupted(): Promise<number> {
    return this.store.messages.markInterrupted(
      'the service stopped while delivering this message: it may or may not have reached its channels. Check them; retry it (POST /api/v1/messages/:id/retry) only if it did not',
    );
  }

  async #get(id: string): Promise<MessageRecord> {
    const record = await this.store.messages.get(id);
    if (!record) throw new NotFoundError(`message ${id} does not exist`);
    return record;
  }

  /** Unknown runs are refused: whether a message belongs to a drill is read from its run. */
  async #drill(runId: string | undefined): Promise<boolean> {
    if (!runId) return false;
    const run = await this.store.runs.get(runId);
    if (!run) throw new NotFoundError(`runbook run ${runId} does not exist`);
    return isDrill(run);
  }

  /** A decision that came second: the same one is a replay, the other one meets the decision that stands. */
  async #decidedBefore(id: string, decision: 'approve' | 'reject'): Promise<MessageRecord> {
    const current = await this.#get(id);
    const by = current.decidedBy ? ` by ${current.decidedBy}` : '';
    if (current.status === 'rejected') {
      if (decision === 'reject') return current;
      throw new ConflictError(`message ${id} was rejected${by}: that decision stands`);
    }
    if (decision === 'approve') return current;
    const state = current.status === 'sending' ? 'is being sent' : current.status === 'sent' ? `was sent at ${current.sentAt}` : 'was approved, and its delivery failed';
    throw new ConflictError(`message ${id} ${state} (approved${by}): it can no longer be rejected`);
  }

  async #deliver(record: MessageRecord, signal?: AbortSignal): Promise<MessageRecord> {
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
    return this.store.messages.settle(record.id, {
      status: delivered.length === 0 ? 'failed' : 'sent',
      channels: delivered,
      ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
    });
  }
}
