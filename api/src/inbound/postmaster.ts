/**
 * postmaster@ and abuse@ every served domain reach the operator (RFC 5321 §4.5.1: postmaster MUST be
 * accepted, also without a domain; RFC 2142: abuse@ for complaints). Where they go is
 * `postmaster_address`, or the account created on first start:
 *   - an agent of this gateway: an ordinary inbound copy in its mailbox (protection, events, webhooks);
 *   - any other address: forwarded as system mail, the original attached unchanged (message/rfc822)
 *     so the operator sees exactly what arrived, and no DMARC check downstream fails on a resent From.
 * The forward is queued in the inbound transaction: a 250 means it will be sent (or fail with a
 * reason an operator can read in system_mail), never that it was dropped.
 */
import type { Authentication, Recipient } from '@e2a/relay';
import { OPERATOR_LOCAL_PARTS } from '../agents/reserved.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { json, pgText, type Database } from '../db/database.js';
import { newId } from '../ids.js';

/** The relay's opaque agent id for a recipient that is forwarded, not stored in a mailbox. */
export const POSTMASTER_AGENT_ID = 'postmaster';

/** Carried from RCPT to DATA: forward to `forwardTo` (null when no operator address is known). */
export interface PostmasterContext {
  kind: 'postmaster';
  forwardTo: string | null;
}

export function isPostmasterContext(value: unknown): value is PostmasterContext {
  return typeof value === 'object' && value !== null && (value as PostmasterContext).kind === 'postmaster';
}

/** True for `postmaster` alone and for postmaster@/abuse@ any domain (the caller checks the domain is ours). */
export function isOperatorAddress(address: string): boolean {
  const at = address.lastIndexOf('@');
  const local = (at === -1 ? address : address.slice(0, at)).toLowerCase();
  return at === -1 ? local === 'postmaster' : OPERATOR_LOCAL_PARTS.has(local);
}

export interface ForwardInput {
  /** The address the sender wrote: postmaster@a-served-domain. */
  recipient: string;
  forwardTo: string | null;
  /** The message as stored (our trace fields on top). */
  raw: Buffer;
  subject: string | null;
  envelope: { mailFrom: string; remoteAddress: string; helo: string };
  authentication: Authentication;
  receivedAt: Date;
}

export class PostmasterRoute {
  constructor(private readonly deps: { db: Database; box: SecretBox; configured: string; sharedDomain: string; hostname: string }) {}

  /** The operator's address: configured, else the email of the account created first. */
  async operatorAddress(): Promise<string | null> {
    if (this.deps.configured) return this.deps.configured.toLowerCase();
    const first = await this.deps.db.selectFrom('users').select('email').orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
    return first?.email.toLowerCase() ?? null;
  }

  /** The recipient postmaster@/abuse@ `address` resolves to: the operator's agent, or a forward. */
  async recipient(address: string, agentAt: (address: string) => Promise<Recipient | null>): Promise<Recipient> {
    const operator = await this.operatorAddress();
    const agent = operator ? await agentAt(operator) : null;
    if (agent) return agent;
    const context: PostmasterContext = { kind: 'postmaster', forwardTo: operator };
    const canonical = address.includes('@') ? address.toLowerCase() : `postmaster@${this.deps.sharedDomain}`;
    return { agentId: POSTMASTER_AGENT_ID, address: canonical, context };
  }

  /** Queues the forward as system mail, inside the caller's (the inbound) transaction. */
  async forward(db: Database, input: ForwardInput): Promise<void> {
    const { box, sharedDomain, hostname } = this.deps;
    const auth = input.authentication;
    const dkim = auth.dkim.length === 0 ? 'none' : auth.dkim.map((d) => `${d.status} (d=${d.domain})`).join(', ');
    const text = [
      `Mail for ${input.recipient} arrived at ${hostname} and is attached unchanged.`,
      '',
      `Envelope sender: <${input.envelope.mailFrom}>`,
      `Client: ${input.envelope.remoteAddress} (HELO ${input.envelope.helo || '-'})`,
      `Received: ${input.receivedAt.toISOString()}`,
      `SPF: ${auth.spf.status}${auth.spf.domain ? ` (${auth.spf.domain})` : ''}`,
      `DKIM: ${dkim}`,
      `DMARC: ${auth.dmarc.status}${auth.dmarc.domain ? ` (${auth.dmarc.domain})` : ''}`,
      `Verified sender: ${auth.verified ? auth.sender : 'no'}`,
      '',
      'Set postmaster_address (E2A_POSTMASTER_ADDRESS) to change where this mail goes.',
    ].join('\n');
    const noRoute = input.forwardTo === null;
    await db
      .insertInto('system_mail')
      .values({
        id: newId('systemMail'),
        user_id: null,
        kind: 'postmaster_forward',
        from_address: `postmaster@${sharedDomain}`,
        to_addresses: json(noRoute ? [] : [input.forwardTo]),
        subject: pgText(`[${input.recipient}] ${input.subject ?? '(no subject)'}`.replace(/[\r\n]+/g, ' ').slice(0, 250)),
        text_body: box.seal(text),
        html_body: null,
        attachment: box.seal(input.raw),
        status: noRoute ? 'failed' : 'queued',
        status_reason: noRoute ? 'no postmaster_address is set and no account exists yet' : null,
        next_attempt_at: noRoute ? null : input.receivedAt,
        locked_until: null,
        created_at: input.receivedAt,
        sent_at: null,
      })
      .execute();
  }
}
