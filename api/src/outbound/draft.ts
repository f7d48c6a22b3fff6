/**
 * An outbound message as accepted by the API, before MIME: stored sealed in messages.draft, edited
 * by an approving reviewer, composed and DKIM-signed by the outbound worker when it is sent.
 */
export interface DraftAddress {
  address: string;
  name: string | null;
}

export interface DraftAttachment {
  filename: string;
  contentType: string;
  /** Base64. */
  content: string;
  contentId: string | null;
}

export interface OutboundDraft {
  from: DraftAddress;
  to: DraftAddress[];
  cc: DraftAddress[];
  bcc: DraftAddress[];
  replyTo: DraftAddress[];
  subject: string;
  text: string | null;
  html: string | null;
  attachments: DraftAttachment[];
  /** Allow-listed extra headers (ALLOWED_CUSTOM_HEADERS). */
  headers: Record<string, string>;
  /** Message-ID without brackets, fixed at acceptance so threading and retries agree. */
  messageId: string;
  inReplyTo: string | null;
  references: string[];
  conversationId: string;
  /** Per-message expiry (ISO 8601), for copies delivered to local agents; absent on older drafts. */
  expiresAt?: string | null;
}
