/**
 * Agent-to-agent mail on one gateway goes straight into the inbound pipeline: no SMTP hairpin, no
 * dependency on an upstream, and the same storage, gates, events and threading as mail from outside.
 * The relay's receive() takes it in by the very steps SMTP mail takes after DATA: verification,
 * Authentication-Results, Received, sanitising, parsing.
 *
 * The verdict is real where it can be: DKIM is verified by mailauth on the signed bytes, with a
 * resolver that answers our own key records from dkim_keys (DkimKeys.overlay), and DMARC is
 * evaluated as for any mail. SPF is the exception: there is no client IP to authorise, and the
 * gateway itself authenticated the sending agent by API key, so the relay records SPF as pass for
 * the agent's domain (relay/src/inbound/local-hop.ts; docs/OUTBOUND.md says so).
 */
import { receive, type Recipient, type SenderVerifier } from '@e2a/relay';
import type { Clock } from '../clock.js';
import { newId } from '../ids.js';
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

export class LocalDelivery {
  constructor(private readonly deps: LocalDeliveryDeps) {}

  async deliver(message: LocalMessage): Promise<LocalOutcome> {
    const { inbound, verifier, hostname, clock } = this.deps;
    // Already past its expiry (a retry, a late approval): no copy, no event, no webhook.
    if (message.expiresAt && message.expiresAt.getTime() <= clock.now().getTime()) return { outcome: 'expired', refused: new Map() };
    // X-E2A-* from the sender (our conversation id header included) are stripped like any sender's:
    // the trusted conversation id travels beside the message, not in it.
    const local = { conversationId: message.conversationId, expiresAt: message.expiresAt };
    const { accepted } = await receive(
      message.raw,
      { via: 'local', id: newId('queue'), mailFrom: message.mailFrom, recipients: message.recipients },
      { verifier, hostname, clock, accept: (received) => inbound.acceptLocal(received, local) },
    );
    return { outcome: 'delivered', refused: accepted.refused };
  }
}
