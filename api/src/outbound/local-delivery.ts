/**
 * Agent-to-agent mail on one gateway goes straight into the inbound pipeline: no SMTP hairpin, no
 * dependency on an upstream, and the same storage, gates, events and threading as mail from outside.
 *
 * The verdict is real where it can be: DKIM is verified by mailauth on the signed bytes, with a
 * resolver that answers our own key records from dkim_keys (DkimKeys.overlay), and DMARC is
 * evaluated as for any mail. SPF is the exception: it authorises the IP that handed the message
 * over (RFC 7208 §1), and here there is none: the gateway itself authenticated the sending agent
 * by API key and is the sending MTA for its domain, so SPF is recorded as pass for the agent's
 * domain. docs/OUTBOUND.md says so.
 */
import { parseMessage, sanitize, type Authentication, type Recipient, type SenderVerifier } from '@e2a/relay';
import type { Clock } from '../clock.js';
import { newId, sha256Hex } from '../ids.js';
import type { InboundService } from '../inbound/service.js';

export interface LocalDeliveryDeps {
  inbound: Pick<InboundService, 'acceptLocal'>;
  /** A verifier whose resolver knows our own DKIM keys. */
  verifier: SenderVerifier;
  /** Our authserv-id and Received host (smtp.hostname). */
  hostname: string;
  clock: Clock;
}

export interface LocalMessage {
  raw: Buffer;
  mailFrom: string;
  recipients: Recipient[];
  conversationId: string;
  /** Per-message expiry (docs/EPHEMERAL.md): stored on each copy; past it, nothing is delivered. */
  expiresAt: Date | null;
}

/**
 * What became of a local delivery: stored, or not delivered because the message expired first;
 * `refused`: lists among the recipients that do not take this sender (address → reason).
 */
export interface LocalOutcome {
  outcome: 'delivered' | 'expired';
  refused: Map<string, string>;
}

/** RFC 8601 §2.2 field for the verdict we store, so the raw message and the JSON agree. */
function authResults(hostname: string, a: Authentication, mailFrom: string): string {
  const dkim = a.dkim.length > 0 ? a.dkim.map((d) => `dkim=${d.status} header.d=${d.domain} header.s=${d.selector}`) : ['dkim=none'];
  return [
    `Authentication-Results: ${hostname};`,
    ` spf=${a.spf.status} (local delivery: sent by an agent of this gateway) smtp.mailfrom=${mailFrom};`,
    ...dkim.map((d) => ` ${d};`),
    ` dmarc=${a.dmarc.status}${a.dmarc.domain ? ` header.from=${a.dmarc.domain}` : ''}`,
  ].join('\r\n');
}

export class LocalDelivery {
  constructor(private readonly deps: LocalDeliveryDeps) {}

  async deliver(message: LocalMessage): Promise<LocalOutcome> {
    const { hostname, clock } = this.deps;
    const receivedAt = clock.now();
    // Already past its expiry (a retry, a late approval): no copy, no event, no webhook.
    if (message.expiresAt && message.expiresAt.getTime() <= receivedAt.getTime()) return { outcome: 'expired', refused: new Map() };
    const domain = message.mailFrom.slice(message.mailFrom.lastIndexOf('@') + 1).toLowerCase();
    const checked = await this.deps.verifier.verify(message.raw, { ip: '127.0.0.1', helo: hostname, mailFrom: message.mailFrom });
    const authentication: Authentication = { ...checked.authentication, spf: { status: 'pass', domain, aligned: true } };
    const queueId = newId('queue');
    // RFC 5321 §4.4: a trace field for this hop too; "with LOCAL" names the protocol, which was none.
    const received = `Received: by ${hostname} with LOCAL id ${queueId}; ${receivedAt.toUTCString().replace('GMT', '+0000')}`;
    // X-E2A-* from the sender (our conversation id header included) are stripped like any sender's:
    // the trusted conversation id travels beside the message, not in it.
    const raw = sanitize(message.raw, { authservId: hostname, prepend: [authResults(hostname, authentication, message.mailFrom), received] });
    const parsed = await parseMessage(raw);
    const { refused } = await this.deps.inbound.acceptLocal(
      {
        raw,
        contentHash: sha256Hex(message.raw),
        messageId: parsed.messageId,
        envelope: { mailFrom: message.mailFrom, recipients: message.recipients, remoteAddress: '127.0.0.1', helo: hostname },
        authentication,
        parsed,
        receivedAt,
      },
      { conversationId: message.conversationId, expiresAt: message.expiresAt },
    );
    return { outcome: 'delivered', refused };
  }
}
