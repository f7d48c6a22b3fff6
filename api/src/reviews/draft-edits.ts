/**
 * A reviewer's edits to an outbound draft before approving it. Only the fields a reviewer can judge
 * are editable (recipients, subject, bodies); the Message-ID, threading and sender stay as the
 * agent sent them so replies still thread. Fields left out of the request keep their value.
 */
import type { ApproveReviewRequest } from '@e2a/sdk/wire';
import { AppError } from '../errors.js';
import type { DraftAddress, OutboundDraft } from '../outbound/draft.js';
import { toDraftAddresses } from '../outbound/recipients.js';

export type DraftEdits = Omit<ApproveReviewRequest, 'note'>;

export function hasEdits(edits: DraftEdits): boolean {
  return (['to', 'cc', 'bcc', 'subject', 'text', 'html'] as const).some((k) => edits[k] !== undefined);
}

export function applyDraftEdits(draft: OutboundDraft, edits: DraftEdits): OutboundDraft {
  // The send API's own mailbox rules: a reviewer's recipients are held to what the agent's were.
  const list = (values: string[] | undefined, field: string, current: DraftAddress[]) => (values === undefined ? current : toDraftAddresses(values, field));
  const next: OutboundDraft = {
    ...draft,
    to: list(edits.to, 'to', draft.to),
    cc: list(edits.cc, 'cc', draft.cc),
    bcc: list(edits.bcc, 'bcc', draft.bcc),
    subject: edits.subject ?? draft.subject,
    text: edits.text ?? draft.text,
    html: edits.html ?? draft.html,
  };
  if (next.to.length + next.cc.length + next.bcc.length === 0) {
    throw new AppError('validation_error', 'the edits leave the message with no recipients; keep at least one in to, cc or bcc');
  }
  return next;
}
