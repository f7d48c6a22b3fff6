/**
 * @e2a/relay — the SMTP edges of e2a. The api builds these with its own implementations of the
 * ports (RecipientDirectory, InboundSink, Logger) and a Resolver from config.
 */
export type { Recipient, RecipientDirectory, InboundMessage, InboundSink, InboundBudget, BudgetStep, BudgetLimit, BudgetVerdict, InboundObserver, Logger } from './ports.js';
export type { SmtpReply } from './smtp-reply.js';
export { REPLY, accepted, headerTooBig, mimeTooComplex, replyText, toSmtpError } from './smtp-reply.js';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';

export type { AuthStatus, Authentication, SpfVerdict, DkimVerdict, DmarcVerdict } from './auth/verdict.js';
export { AUTH_STATUSES, normaliseStatus, temperrorVerdict } from './auth/verdict.js';
export type { Resolver, DnsResolverOptions, CacheOptions } from './auth/resolver.js';
export { createDnsResolver, withCache, withTimeout, dnsError } from './auth/resolver.js';
export type { SenderVerifier, SenderVerifierOptions, VerifyContext, VerifyResult } from './auth/verify.js';
export { createSenderVerifier } from './auth/verify.js';

export type { Address, ParsedAttachment, ParsedMessage } from './mime/parse.js';
export { parseMessage } from './mime/parse.js';
export type { HiddenText, HtmlText } from './mime/html-text.js';
export { extractHtmlText, htmlToText } from './mime/html-text.js';
export { extractReplyText } from './mime/reply-text.js';
export { extractReplyHtml } from './mime/reply-html.js';
export type { LimitBreach, LimitCheck, MessageLimit, MessageLimits, MessageShape } from './mime/limits.js';
export { DEFAULT_MESSAGE_LIMITS, checkMessageLimits } from './mime/limits.js';
export type { MessageParser, MessageParserOptions } from './mime/message-parser.js';
export { createMessageParser, ParseTimeoutError } from './mime/message-parser.js';
export type { WorkerPoolOptions } from './worker-pool.js';
export { createWorkerPool, isTimeout } from './worker-pool.js';
export type { SanitizeOptions } from './mime/sanitize.js';
export { sanitize } from './mime/sanitize.js';

export type { AddressSyntax, RecipientVerdict } from './inbound/address.js';
export { checkLocalPart, classifyAddress, evaluateRecipient } from './inbound/address.js';
export type { InboundListenOptions, InboundServer, InboundServerOptions } from './inbound/server.js';
export type { SessionLimits } from './inbound/session-limits.js';
export { clientNetwork } from './inbound/client-network.js';
export { createInboundServer } from './inbound/server.js';
export type { LocalEnvelope, Receipt, Received, ReceiveEnvelope, ReceiveSteps, SmtpEnvelope } from './inbound/receive.js';
export { receive } from './inbound/receive.js';
export type { CertificateSummary, NegotiatedTls, TlsCheck, TlsCredentials } from './inbound/tls.js';
export { checkTlsCredentials } from './inbound/tls.js';

export * from './outbound/index.js';
