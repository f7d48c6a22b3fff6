/**
 * @e2a/relay — the SMTP edges of e2a. The api builds these with its own implementations of the
 * ports (RecipientDirectory, InboundSink, Logger) and a Resolver from config.
 */
export type { Recipient, RecipientDirectory, InboundMessage, InboundSink, Logger } from './ports.js';
export type { SmtpReply } from './smtp-reply.js';
export { REPLY, accepted, replyText, toSmtpError } from './smtp-reply.js';
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
export type { SanitizeOptions } from './mime/sanitize.js';
export { sanitize } from './mime/sanitize.js';

export type { AddressSyntax, RecipientVerdict } from './inbound/address.js';
export { checkLocalPart, classifyAddress, evaluateRecipient } from './inbound/address.js';
export type { InboundServer, InboundServerOptions } from './inbound/server.js';
export { createInboundServer } from './inbound/server.js';

export * from './outbound/index.js';
