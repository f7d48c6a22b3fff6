/**
 * RFC 5322 message composition with nodemailer's MailComposer. Content is only ever given inline:
 * file paths and URLs are refused (`disableFileAccess`, `disableUrlAccess`), so an API caller can
 * never make the gateway read its disk or fetch a URL by naming one as an attachment.
 */
import MailComposer from 'nodemailer/lib/mail-composer';

export interface ComposeAddress {
  address: string;
  name: string | null;
}

export interface ComposeAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
  contentId: string | null;
  /** Default: nodemailer's choice (inline for a message/rfc822 part, which readers then show as body). */
  disposition?: 'attachment' | 'inline';
}

export interface ComposeInput {
  from: ComposeAddress;
  to: ComposeAddress[];
  cc: ComposeAddress[];
  replyTo: ComposeAddress[];
  subject: string;
  text: string | null;
  html: string | null;
  attachments: ComposeAttachment[];
  /** Message-ID without angle brackets. */
  messageId: string;
  date: Date;
  inReplyTo: string | null;
  references: string[];
  /** Extra header fields, already checked against the allow-list and for line breaks. */
  headers: Record<string, string>;
}

const asMailbox = (a: ComposeAddress) => ({ address: a.address, name: a.name ?? '' });
const bracket = (id: string) => `<${id}>`;

/**
 * The message bytes, CRLF line endings (RFC 5322 §2.1). Bcc is never written (RFC 5322 §3.6.3):
 * there is no Bcc input, and MailComposer's MIME tree drops a Bcc field unless told to keep it.
 */
export async function composeMessage(input: ComposeInput): Promise<Buffer> {
  const composer = new MailComposer({
    from: asMailbox(input.from),
    to: input.to.map(asMailbox),
    cc: input.cc.length > 0 ? input.cc.map(asMailbox) : undefined,
    replyTo: input.replyTo.length > 0 ? input.replyTo.map(asMailbox) : undefined,
    subject: input.subject,
    text: input.text ?? (input.html === null ? '' : undefined),
    html: input.html ?? undefined,
    attachments: input.attachments.map((a) => ({
      filename: a.filename,
      contentType: a.contentType,
      content: a.content,
      ...(a.contentId ? { cid: a.contentId } : {}),
      ...(a.disposition ? { contentDisposition: a.disposition } : {}),
    })),
    messageId: bracket(input.messageId),
    date: input.date,
    inReplyTo: input.inReplyTo ? bracket(input.inReplyTo) : undefined,
    references: input.references.length > 0 ? input.references.map(bracket) : undefined,
    headers: input.headers,
    newline: 'win',
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return composer.compile().build();
}
