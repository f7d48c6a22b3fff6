/**
 * The relay's InboundSink: stores a verified, parsed message once per recipient agent, with its
 * conversation and its events, in ONE transaction. The relay answers 250 only after this resolves,
 * so a 250 always means committed (DESIGN §4); any throw becomes 451.
 *
 * The agent's inbound protection gate decides first (docs/REVIEW.md):
 *   pass   → stored, email.received
 *   flag   → stored, email.received + email.flagged
 *   review → stored hidden (held, status 'held'), no email.received; a review is opened and the
 *            agent sees the mail only once a reviewer approves it
 *   block  → stored hidden (status 'blocked'), email.blocked for the account (messages/visibility.ts).
 * A block is not an SMTP rejection: the gate runs after DATA, when one message may have several
 * recipients with different verdicts and a per-recipient 5xx is no longer possible, and a bounce
 * would tell the sender which filter caught it.
 */
import { isDeliveryReport, type InboundMessage, type InboundSink, type Recipient, type SmtpReply } from '@e2a/relay';
import { insertAttachments } from '../blobs/repo.js';
import { blobRow, sealContent, type SealedContent } from '../blobs/content.js';
import type { Clock } from '../clock.js';
import { findConversation, findConversations } from '../conversations/threading.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { json, pgText } from '../db/database.js';
import { messageEvent, type MessageFacts } from '../events/outbox.js';
import { newId, sha256Hex } from '../ids.js';
import { priorityFromHeaders } from '../messages/priority.js';
import { searchDocument } from '../messages/search-document.js';
import type { ContactGrants } from '../contacts/service.js';
import type { GateDecision, ProtectionGates } from '../protection/decision.js';
import { countedSender } from '../protection/gate.js';
import { parseStoredProtection } from '../protection/service.js';
import type { ReviewHolds } from '../reviews/ports.js';
import type { BounceHook } from '../outbound/bounces.js';
import type { Metrics } from '../observability/metrics.js';
import { isRecipientContext, type RecipientContext } from './directory.js';
import { isPostmasterContext, type PostmasterRoute } from './postmaster.js';
import { insertInboundCopy } from './repo.js';
import { isListContext, type ListFanOut, type MemberDelivery } from '../lists/fan-out.js';
import { insertListCopies, type ListCopy } from './list-copies.js';

export interface InboundServiceDeps {
  db: Database;
  box: SecretBox;
  clock: Clock;
  gates: ProtectionGates;
  /** The `contacts` policy's question (docs/CONTACTS.md); asked only for agents under that policy. */
  contacts: ContactGrants;
  holds: ReviewHolds;
  /** Marks the agent's sent mail bounced when a DSN for it arrives (outbound/bounces.ts). */
  bounces: BounceHook;
  /** Counts stored copies and bounces (observability/metrics.ts). */
  metrics?: Pick<Metrics, 'inboundStored' | 'outbound' | 'listPost'>;
  /** Mail to a list address: loop check, post policy, one recipient per member (lists/fan-out.ts). */
  lists: Pick<ListFanOut, 'outcome'>;
  /** Says what was dropped (a list loop). */
  logger?: { info(fields: object, message: string): void };
  /** Forwards postmaster@ / abuse@ mail to the operator. */
  postmaster: Pick<PostmasterRoute, 'forward'>;
}

/** One recipient's verdict, decided before anything is written. */
/** What only local delivery may say about a message, beside it rather than in it. */
export interface LocalFacts {
  conversationId: string | null;
  /** Per-message expiry: a copy unread by then leaves the mailbox (messages/visibility.ts). */
  expiresAt: Date | null;
}

interface Plan {
  recipient: Recipient;
  userId: string;
  decision: GateDecision;
  protection: ReturnType<typeof parseStoredProtection>;
  /** A member's copy of a list post: its list headers, and the list's own blob. */
  list?: { member: MemberDelivery; sealed: SealedContent };
}

/** What became of a message: its queue id; lists that refused the sender, by list address, with the reason. */
export interface StoreResult {
  queueId: string;
  refused: Map<string, string>;
}

export class InboundService implements InboundSink {
  constructor(private readonly deps: InboundServiceDeps) {}

  /**
   * Over SMTP one reply answers every recipient after DATA (RFC 5321 §4.2.5 / no LMTP here), so a
   * list that refuses the sender refuses the whole message with 550 5.7.1, stored for nobody; the
   * sender's MTA bounces it with the reason.
   */
  async accept(message: InboundMessage): Promise<{ queueId: string; refusal?: SmtpReply }> {
    const result = await this.store(message, null);
    if (result.refused.size === 0) return { queueId: result.queueId };
    const [address, reason] = [...result.refused][0]!;
    return { queueId: result.queueId, refusal: { code: 550, enhanced: '5.7.1', text: `not delivered to list ${address}: ${reason}` } };
  }

  /**
   * Local delivery (outbound/local-delivery.ts): mail one agent sends to another on this gateway
   * comes here without an SMTP hop. Only this path may name a trusted conversation id, and it is
   * honoured only if that conversation belongs to the receiving agent (DESIGN §4). So may a
   * per-message expiry (docs/EPHEMERAL.md), stored on each copy.
   */
  acceptLocal(message: InboundMessage, local: LocalFacts): Promise<StoreResult> {
    return this.store(message, local);
  }

  private async store(message: InboundMessage, local: LocalFacts | null): Promise<StoreResult> {
    const trustedConversationId = local?.conversationId ?? null;
    const expiresAt = local?.expiresAt ?? null;
    const queueId = newId('queue');
    // Sealed once for every recipient: the copies share one blob (blobs/content.ts).
    const sealed = sealContent(this.deps.box, { raw: message.raw, text: message.parsed.text, html: message.parsed.html, attachments: message.parsed.attachments });
    const plans: Plan[] = [];
    // postmaster@ and abuse@ mail not bound for an agent is forwarded to the operator (postmaster.ts).
    const forwards: Recipient[] = [];
    const lists: Recipient[] = [];
    for (const recipient of message.envelope.recipients) {
      if (isPostmasterContext(recipient.context)) forwards.push(recipient);
      else if (isListContext(recipient.context)) lists.push(recipient);
      else plans.push(await this.plan(recipient, message, local !== null));
    }
    const refused = new Map<string, string>();
    const listPlans: Plan[] = [];
    const direct = new Set(plans.map((p) => p.recipient.agentId));
    for (const recipient of lists) {
      const outcome = await this.deps.lists.outcome((recipient.context as { listId: string }).listId, {
        parsed: message.parsed,
        authentication: message.authentication,
        mailFrom: message.envelope.mailFrom,
        local: local !== null,
      });
      if (outcome === null) continue;
      this.deps.metrics?.listPost(outcome.kind === 'deliver' ? 'delivered' : outcome.kind === 'loop' ? 'loop_dropped' : 'refused');
      if (outcome.kind === 'loop') {
        this.deps.logger?.info({ list: outcome.list.address, messageId: message.messageId }, 'list mail carrying its own List-Id dropped (loop)');
        continue;
      }
      if (outcome.kind === 'refused') {
        refused.set(outcome.list.address, outcome.reason);
        continue;
      }
      // The list's copies share one blob: the message as it arrived, with List-Id and List-Post on top.
      const raw = Buffer.concat([Buffer.from(outcome.blobHeaders), message.raw]);
      const listSealed = sealContent(this.deps.box, { raw, text: message.parsed.text, html: message.parsed.html, attachments: message.parsed.attachments });
      // The gate's verdict depends on the protection settings and the agent's domain only (except
      // under a per-agent contacts check): members alike share one evaluation, so a content scan
      // runs once per distinct setting rather than once per member.
      const verdicts = new Map<string, Plan>();
      for (const member of outcome.members) {
        // One copy per agent: addressed directly or through another list already, it has one.
        if (direct.has(member.recipient.agentId)) continue;
        direct.add(member.recipient.agentId);
        const context = member.recipient.context as RecipientContext;
        const perAgent = (parseStoredProtection(context.protection).inbound.policy as string) === 'contacts';
        const key = perAgent ? null : `${member.recipient.address.slice(member.recipient.address.lastIndexOf('@') + 1)}\n${JSON.stringify(context.protection)}`;
        const alike = key === null ? undefined : verdicts.get(key);
        const plan = alike ? { ...alike, recipient: member.recipient, userId: context.userId } : await this.plan(member.recipient, message, local !== null);
        if (key !== null && !alike) verdicts.set(key, plan);
        listPlans.push({ ...plan, list: { member, sealed: listSealed } });
      }
    }
    // Over SMTP a refusal answers the whole message: nothing is stored (accept()).
    if (refused.size > 0 && local === null) return { queueId, refused };
    if (listPlans.length > 0) {
      await this.storeWithLists(plans, listPlans, forwards, message, queueId, sealed, trustedConversationId, expiresAt);
      return { queueId, refused };
    }
    // The common case, one recipient, no attachments, no hold, not a delivery report, is a single
    // statement (its own transaction); anything more (further copies, attachment rows, the review,
    // the bounce's update and email.failed) is wrapped so it all commits together.
    if (forwards.length === 0 && plans.length === 1 && sealed.attachments.length === 0 && plans[0]!.decision.action !== 'review' && !isDeliveryReport(message.parsed)) {
      this.count([await this.storeFor(this.deps.db, plans[0]!, message, queueId, sealed, true, trustedConversationId, expiresAt)]);
    } else {
      const outcomes: CopyOutcome[] = [];
      await this.deps.db.transaction().execute(async (tx) => {
        outcomes.push(...(await this.storeCopies(tx, plans, forwards, message, queueId, sealed, trustedConversationId, expiresAt)));
      });
      this.count(outcomes);
    }
    return { queueId, refused };
  }

  /**
   * The ordinary copies, one per plan, and the postmaster forwards, inside the caller's
   * transaction. The first copy stored writes the blob; duplicates skipped before it write nothing.
   */
  private async storeCopies(
    tx: Database,
    plans: Plan[],
    forwards: Recipient[],
    message: InboundMessage,
    queueId: string,
    sealed: SealedContent,
    trustedConversationId: string | null,
    expiresAt: Date | null,
  ): Promise<CopyOutcome[]> {
    const outcomes: CopyOutcome[] = [];
    let blobStored = false;
    for (const plan of plans) {
      const outcome = await this.storeFor(tx, plan, message, queueId, sealed, !blobStored, trustedConversationId, expiresAt);
      outcomes.push(outcome);
      if (outcome.stored) blobStored = true;
    }
    for (const recipient of forwards) {
      await this.deps.postmaster.forward(tx, {
        recipient: recipient.address,
        forwardTo: isPostmasterContext(recipient.context) ? recipient.context.forwardTo : null,
        raw: message.raw,
        subject: message.parsed.subject,
        envelope: message.envelope,
        authentication: message.authentication,
        receivedAt: message.receivedAt,
      });
    }
    return outcomes;
  }

  /**
   * A message with list members among its recipients: the ordinary copies as usual, then each
   * list's members' copies in one set-based statement (inbound/list-copies.ts), all in one
   * transaction. A member whose gate asks for review takes the ordinary path, for its hold.
   */
  private async storeWithLists(
    plans: Plan[],
    listPlans: Plan[],
    forwards: Recipient[],
    message: InboundMessage,
    queueId: string,
    sealed: SealedContent,
    trustedConversationId: string | null,
    expiresAt: Date | null,
  ): Promise<void> {
    const outcomes: CopyOutcome[] = [];
    await this.deps.db.transaction().execute(async (tx) => {
      outcomes.push(...(await this.storeCopies(tx, plans, forwards, message, queueId, sealed, trustedConversationId, expiresAt)));
      const bySealed = new Map<SealedContent, Plan[]>();
      for (const plan of listPlans) bySealed.set(plan.list!.sealed, [...(bySealed.get(plan.list!.sealed) ?? []), plan]);
      for (const [listSealed, group] of bySealed) {
        const inSet = group.filter((p) => p.decision.action !== 'review');
        const ids = await this.storeListCopies(tx, inSet, message, queueId, listSealed, expiresAt);
        let listBlobStored = ids.size > 0;
        if (listBlobStored) await insertAttachments(tx, listSealed);
        for (const plan of inSet) outcomes.push({ stored: ids.has(plan.recipient.agentId) ? copyStatus(plan.decision.action) : null, bounced: false });
        for (const plan of group.filter((p) => p.decision.action === 'review')) {
          const outcome = await this.storeFor(tx, plan, message, queueId, listSealed, !listBlobStored, null, expiresAt);
          outcomes.push(outcome);
          if (outcome.stored) listBlobStored = true;
        }
      }
    });
    this.count(outcomes);
  }

  /** Members' copies of one list post (pass, flag or block), in one statement; returns the agent ids stored. */
  private async storeListCopies(db: Database, plans: Plan[], message: InboundMessage, queueId: string, sealed: SealedContent, expiresAt: Date | null): Promise<Set<string>> {
    if (plans.length === 0) return new Set();
    const parsed = message.parsed;
    const from = pgText(parsed.from?.address.toLowerCase() ?? null);
    const subject = pgText(parsed.subject);
    const to = parsed.to.map((a) => a.address);
    const priority = priorityFromHeaders(parsed.headers);
    const conversations = await findConversations(db, plans.map((p) => p.recipient.agentId), parsed.inReplyTo, parsed.references);
    const copies: ListCopy[] = plans.map((plan) => {
      const { recipient, decision } = plan;
      const id = newId('message');
      const conversation = conversations.get(recipient.agentId) ?? newId('conversation');
      const reason = decision.reasons.join('; ') || null;
      const facts: MessageFacts = { id, agentAddress: recipient.address, conversationId: conversation, direction: 'inbound', from, to, subject, verified: message.authentication.verified, priority };
      const event = (type: 'email.received' | 'email.flagged' | 'email.blocked', withReason: boolean) => messageEvent(type, facts, withReason ? { reason } : {});
      const blocked = decision.action === 'block';
      return {
        id,
        agent_id: recipient.agentId,
        conversation_id: conversation,
        status: blocked ? 'blocked' : 'received',
        status_reason: blocked ? reason : null,
        held: blocked,
        dedupe_key: sha256Hex(`${recipient.address}\n${message.messageId ?? ''}\n${message.contentHash}`),
        envelope: json({ mail_from: message.envelope.mailFrom, remote_address: message.envelope.remoteAddress, helo: message.envelope.helo, rcpt_to: plan.list!.member.list.address }),
        headers: json([...plan.list!.member.headers, ...parsed.headers]),
        counted: !blocked,
        events: decision.action === 'pass' ? [event('email.received', false)] : decision.action === 'flag' ? [event('email.received', false), event('email.flagged', true)] : [event('email.blocked', true)],
      };
    });
    const now = this.deps.clock.now();
    const raw = message.raw.length + Buffer.byteLength(plans[0]!.list!.member.headers.slice(0, 2).map((h) => `${h.name}: ${h.value}\r\n`).join(''));
    const stored = await insertListCopies(
      db,
      {
        direction: 'inbound',
        queue_id: queueId,
        message_id_header: pgText(message.messageId),
        in_reply_to: pgText(parsed.inReplyTo),
        references_header: json(parsed.references),
        content_hash: message.contentHash,
        from_address: from,
        from_name: pgText(parsed.from?.name || null),
        to_addresses: json(parsed.to),
        cc_addresses: json(parsed.cc),
        subject,
        authentication: json(message.authentication),
        verified: message.authentication.verified,
        blob_id: sealed.blobId,
        size_bytes: raw,
        attachment_count: sealed.attachments.length,
        priority,
        read_at: null,
        expires_at: expiresAt,
        received_at: message.receivedAt,
        created_at: now,
      },
      copies,
      blobRow(sealed, now),
      inboundSearchDocument(message),
    );
    const byId = new Map(copies.map((c) => [c.id, c.agent_id]));
    return new Set(stored.map((id) => byId.get(id)!));
  }

  private async plan(recipient: Recipient, message: InboundMessage, isLocal: boolean): Promise<Plan> {
    // The directory looked the agent up at RCPT time; local delivery builds recipients itself.
    const agent = isRecipientContext(recipient.context)
      ? { user_id: recipient.context.userId, protection: recipient.context.protection }
      : await this.deps.db.selectFrom('agents').select(['user_id', 'protection']).where('id', '=', recipient.agentId).executeTakeFirstOrThrow();
    const protection = parseStoredProtection(agent.protection);
    const from = message.parsed.from?.address.toLowerCase() ?? null;
    // Local mail's envelope sender is the agent the gateway authenticated by API key (workers/outbound-send.ts).
    const localSender = isLocal ? message.envelope.mailFrom.toLowerCase() : null;
    const sender = countedSender({ authentication: message.authentication, from, localSender });
    const contact = protection.inbound.policy === 'contacts' && sender !== null && (await this.deps.contacts.isContact(recipient.agentId, sender));
    const decision = await this.deps.gates.inbound(protection, {
      agentAddress: recipient.address,
      authentication: message.authentication,
      from,
      localSender,
      contact,
      subject: message.parsed.subject,
      text: message.parsed.text,
      html: message.parsed.html,
    });
    return { recipient, userId: agent.user_id, decision, protection };
  }

  /** Stores one recipient's copy (`stored` null when it was a duplicate). `writeBlob`: no copy has stored the blob yet. */
  private async storeFor(
    db: Database,
    plan: Plan,
    message: InboundMessage,
    queueId: string,
    sealed: SealedContent,
    writeBlob: boolean,
    trustedConversationId: string | null,
    expiresAt: Date | null,
  ): Promise<CopyOutcome> {
    const { recipient, decision } = plan;
    const parsed = message.parsed;
    const at = message.receivedAt;
    const conversationId = await findConversation(db, {
      agentId: recipient.agentId,
      inReplyTo: parsed.inReplyTo,
      references: parsed.references,
      trustedConversationId,
    });
    const id = newId('message');
    const conversation = conversationId ?? newId('conversation');
    const from = pgText(parsed.from?.address.toLowerCase() ?? null);
    const subject = pgText(parsed.subject);
    const to = parsed.to.map((a) => a.address);
    const reason = decision.reasons.join('; ') || null;
    // The sender's claim, a hint only (docs/PRIORITIES.md); mail from another agent here carries
    // the headers its send wrote (messages/priority.ts), so it keeps its priority.
    const priority = priorityFromHeaders(parsed.headers);
    const facts: MessageFacts = {
      id,
      agentAddress: recipient.address,
      conversationId: conversation,
      direction: 'inbound',
      from,
      to,
      subject,
      verified: message.authentication.verified,
      priority,
    };
    // email.blocked is account-level (events/outbox.ts): blocked mail's metadata is itself untrusted content.
    const event = (type: 'email.received' | 'email.flagged' | 'email.blocked', withReason: boolean) => messageEvent(type, facts, withReason ? { reason } : {});
    const status = copyStatus(decision.action);
    const held = status !== 'received';
    const events =
      decision.action === 'pass'
        ? [event('email.received', false)]
        : decision.action === 'flag'
          ? [event('email.received', false), event('email.flagged', true)]
          : decision.action === 'block'
            ? [event('email.blocked', true)]
            : [];
    const stored = await insertInboundCopy(
      db,
      {
        id,
        agent_id: recipient.agentId,
        conversation_id: conversation,
        direction: 'inbound',
        status,
        status_reason: held ? reason : null,
        held,
        queue_id: queueId,
        message_id_header: pgText(message.messageId),
        in_reply_to: pgText(parsed.inReplyTo),
        references_header: json(parsed.references),
        dedupe_key: sha256Hex(`${recipient.address}\n${message.messageId ?? ''}\n${message.contentHash}`),
        content_hash: message.contentHash,
        from_address: from,
        from_name: pgText(parsed.from?.name || null),
        to_addresses: json(parsed.to),
        cc_addresses: json(parsed.cc),
        subject,
        envelope: json({
          mail_from: message.envelope.mailFrom,
          remote_address: message.envelope.remoteAddress,
          helo: message.envelope.helo,
          rcpt_to: recipient.address,
        }),
        authentication: json(message.authentication),
        verified: message.authentication.verified,
        headers: json(parsed.headers),
        blob_id: sealed.blobId,
        size_bytes: message.raw.length,
        attachment_count: sealed.attachments.length,
        priority,
        read_at: null,
        expires_at: expiresAt,
        received_at: at,
        created_at: this.deps.clock.now(),
      },
      { subject, counted: !held },
      events,
      // Only the copy that writes the blob builds the search document: the others share the blob's vector.
      writeBlob ? { row: blobRow(sealed, this.deps.clock.now()), search: inboundSearchDocument(message) } : null,
    );
    if (stored && writeBlob) await insertAttachments(db, sealed);
    if (stored && decision.action === 'review') {
      await this.deps.holds.hold(db, {
        userId: plan.userId,
        agentId: recipient.agentId,
        agentAddress: recipient.address,
        messageId: id,
        direction: 'inbound',
        reasons: decision.reasons,
        holds: plan.protection.holds,
        notify: plan.protection.review_notify,
        summary: { from, to, subject, conversationId: conversation },
      });
    }
    // Idempotent, so a re-sent DSN (stored once) is harmless; runs in the copy's transaction.
    const bounced = await this.deps.bounces.onInbound(db, { agentId: recipient.agentId, raw: message.raw, parsed, at });
    return { stored: stored ? status : null, bounced };
  }

  /** Counts what was stored, once it is committed (a rolled-back transaction counts nothing). */
  private count(outcomes: CopyOutcome[]): void {
    for (const outcome of outcomes) {
      if (outcome.stored) this.deps.metrics?.inboundStored(outcome.stored);
      if (outcome.bounced) this.deps.metrics?.outbound('bounced');
    }
  }
}

/** What a stored copy became, and whether it marked a sent message bounced. */
interface CopyOutcome {
  stored: CopyStatus | null;
  bounced: boolean;
}
type CopyStatus = 'received' | 'held' | 'blocked';

/** What search indexes of inbound mail (messages/search-document.ts): the parser's text is the HTML's when there is no text part. */
function inboundSearchDocument(message: InboundMessage) {
  const p = message.parsed;
  return searchDocument({ subject: p.subject, from: p.from, recipients: [...p.to, ...p.cc], attachments: p.attachments, text: p.text, html: p.html });
}

function copyStatus(action: Plan['decision']['action']): CopyStatus {
  return action === 'review' ? 'held' : action === 'block' ? 'blocked' : 'received';
}
