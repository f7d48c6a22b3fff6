/** Outbound mail: composition, DKIM, transports (upstream pool, direct to MX), DSN parsing. */
export type { Mailbox, MailboxResult } from './mailbox.js';
export { checkAddress, checkMailbox, normaliseAddress, parseAddressList, parseMailbox } from './mailbox.js';
export type { ComposeAddress, ComposeAttachment, ComposeInput } from './compose.js';
export { composeMessage } from './compose.js';
export type { DkimKeyPair, DkimSigner } from './dkim.js';
export { dkimRecordName, dkimRecordValue, generateDkimKeyPair, signDkim } from './dkim.js';
export type { OutboundEnvelope, OutboundTransport, RecipientOutcome, RecipientStatus } from './transport.js';
export { describeError, isPermanent, outcomesFrom } from './transport.js';
export type { UpstreamOptions } from './upstream.js';
export { createUpstreamTransport } from './upstream.js';
export type { DirectOptions } from './direct-mx.js';
export { createDirectTransport, mailExchangers } from './direct-mx.js';
export type { Dsn, DsnRecipient } from './dsn.js';
export { describeDsn, isDeliveryReport, parseDsn } from './dsn.js';
