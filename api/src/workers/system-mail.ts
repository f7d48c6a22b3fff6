/**
 * Sends the gateway's own mail (review notifications, postmaster@ forwards in system_mail) through the same outbound
 * transport as agents' mail, DKIM-signed for the From domain, with the same retry policy. These
 * rows are never in any agent's mailbox, so an agent cannot read the approval links meant for its
 * reviewer; nor is a recipient on a domain this gateway serves ever sent one, since the mail would
 * come back in to an agent there (system/system-mail-recipients.ts). With outbound_smtp.mode outbox
 * the composed mail is captured in the local outbox under the row's account (user_id; none for the
 * operator's postmaster@ forwards) and the row is sent. With mode none there is no way out: the row
 * fails with the reason and a warning is logged, so an operator sees why reviewers get no mail.
 */
import { composeMessage, type RecipientOutcome } from '@e2a/relay';
import { sql } from 'kysely';
import { randomToken } from '../ids.js';
import { signForSender } from '../outbound/compose.js';
import { CAPTURED_RESPONSE } from '../outbox/outbox.js';
import { retryDelayMs } from '../outbound/retry.js';
import type { SystemMailRecipients } from '../system/system-mail-recipients.js';
import { NO_ROUTE_REASON, type OutboundSendDeps } from './outbound-send.js';
import { PollingWorker } from './polling-worker.js';

/** What the outbound worker needs, less local delivery: system mail always leaves by the transport. */
export type SystemMailDeps = Omit<OutboundSendDeps, 'local' | 'localDomains' | 'lists' | 'concurrency'> & { recipients: SystemMailRecipients };

interface SystemMailJob {
  id: string;
  user_id: string | null;
  from_address: string;
  to_addresses: string[];
  subject: string;
  text_body: Uint8Array;
  html_body: Uint8Array | null;
  /** Sealed original of a forwarded postmaster@ mail, attached as message/rfc822. */
  attachment: Uint8Array | null;
  attempts: number;
  created_at: Date;
}

export class SystemMailWorker extends PollingWorker<SystemMailJob> {
  constructor(private readonly deps: SystemMailDeps) {
    super({ bus: deps.bus, logger: deps.logger, concurrency: 4, pollIntervalMs: deps.pollIntervalMs, name: 'system mail', wakeOn: (notice) => notice.type === 'email.review_requested' });
  }

  protected async claim(limit: number): Promise<SystemMailJob[]> {
    const now = this.deps.clock.now();
    const lockedUntil = new Date(now.getTime() + this.deps.leaseMs);
    const result = await sql<SystemMailJob>`
      UPDATE system_mail SET locked_until = ${lockedUntil}, attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM system_mail
          WHERE status = 'queued' AND next_attempt_at <= ${now} AND (locked_until IS NULL OR locked_until < ${now})
          ORDER BY next_attempt_at LIMIT ${limit}
          FOR UPDATE SKIP LOCKED)
      RETURNING id, user_id, from_address, to_addresses, subject, text_body, html_body, attachment, attempts, created_at`.execute(this.deps.db);
    return result.rows;
  }

  protected async attempt(job: SystemMailJob): Promise<void> {
    const { box, clock, transport, outbox, logger } = this.deps;
    const { allowed, refused } = await this.deps.recipients.split(job.to_addresses);
    if (refused.length > 0) logger.warn({ systemMail: job.id, refused }, 'system mail recipients refused: on a domain this gateway serves');
    if (allowed.length === 0) {
      await this.finish(job, 'failed', refused.join('; ').slice(0, 1000));
      return;
    }
    if (transport === null && outbox === null) {
      logger.warn({ systemMail: job.id, to: job.to_addresses }, `system mail not sent: ${NO_ROUTE_REASON}`);
      await this.finish(job, 'failed', NO_ROUTE_REASON);
      return;
    }
    const domain = job.from_address.slice(job.from_address.lastIndexOf('@') + 1).toLowerCase();
    const date = clock.now();
    const raw = await composeMessage({
      from: { address: job.from_address, name: 'e2a' },
      to: allowed.map((address) => ({ address, name: null })),
      cc: [],
      replyTo: [],
      subject: job.subject,
      text: box.openText(job.text_body),
      html: box.openText(job.html_body),
      attachments: job.attachment ? [{ filename: 'original.eml', contentType: 'message/rfc822', content: box.open(job.attachment), contentId: null, disposition: 'attachment' }] : [],
      messageId: `${job.id}.${randomToken(9)}@${domain}`,
      date,
      inReplyTo: null,
      references: [],
      // RFC 3834 §5: machine-generated; auto-responders must not answer it.
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
    const signed = await signForSender(raw, job.from_address, { dkim: this.deps.dkim, date });
    if (transport === null) {
      const id = await outbox!.capture({ userId: job.user_id, source: 'system_mail', sourceId: job.id, agentAddress: null, from: job.from_address, to: allowed, subject: job.subject, raw: signed });
      logger.info({ systemMail: job.id, outbox: id, to: allowed, account: job.user_id }, 'system mail captured in the local outbox');
      await this.recordOutcomes(job, allowed.map((address) => ({ address, status: 'sent' as const, response: CAPTURED_RESPONSE })), refused);
      return;
    }
    const outcomes = await transport.send({ from: job.from_address, to: allowed }, signed);
    await this.recordOutcomes(job, outcomes, refused);
  }

  private async recordOutcomes(job: SystemMailJob, outcomes: RecipientOutcome[], refused: string[]): Promise<void> {
    const now = this.deps.clock.now();
    const deferred = outcomes.filter((o) => o.status === 'deferred');
    const expired = now.getTime() >= new Date(job.created_at).getTime() + this.deps.retryWindowMs;
    if (deferred.length > 0 && !expired) {
      const next = new Date(now.getTime() + retryDelayMs(this.deps.retry, job.attempts, this.deps.random));
      await this.deps.db
        .updateTable('system_mail')
        .set({ next_attempt_at: next, locked_until: null, status_reason: `retrying: ${deferred[0]!.response ?? ''}`.slice(0, 1000) })
        .where('id', '=', job.id)
        .execute();
      return;
    }
    const bad = outcomes.filter((o) => o.status !== 'sent');
    const reasons = [...refused, ...bad.map((o) => `${o.address}: ${o.response ?? o.status}`)];
    const reason = reasons.length === 0 ? null : reasons.join('; ').slice(0, 1000);
    await this.finish(job, bad.length === outcomes.length ? 'failed' : 'sent', reason);
  }

  private async finish(job: SystemMailJob, status: 'sent' | 'failed', reason: string | null): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db
      .updateTable('system_mail')
      .set({ status, status_reason: reason, locked_until: null, next_attempt_at: null, sent_at: status === 'sent' ? now : null })
      .where('id', '=', job.id)
      .execute();
  }
}
