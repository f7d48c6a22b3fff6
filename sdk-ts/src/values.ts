/**
 * The wire format's enumerations and tables as plain values, with no dependency: `@e2a/sdk/values`
 * gives them to code that needs them without loading the schemas, which are most of the SDK's
 * weight (the CLI lists them in its help before any request is made; the dashboard's bundle and
 * `listen()` never need zod). The schemas in wire/ are built from these and re-export them.
 */
/** `contacts` (docs/CONTACTS.md) is for the inbound gate only: senders with a live contact grant. */
export const GATE_POLICIES = ['open', 'allowlist', 'domain', 'contacts'] as const;
export const GATE_ACTIONS = ['flag', 'review', 'block'] as const;
export const SCAN_SENSITIVITIES = ['off', 'low', 'medium', 'high'] as const;
/**
 * A message's priority (docs/PRIORITIES.md). Inbound it is the sender's claim, read from the
 * Priority, Importance, X-Priority and X-MSMail-Priority headers: a hint, not authenticated.
 */
export const MESSAGE_PRIORITIES = ['urgent', 'normal', 'low'] as const;
/** Who sees an agent's card (docs/CARDS.md). */
export const CARD_VISIBILITIES = ['account', 'public'] as const;
/** Who should write to an agent, as its card says (advisory; its protection enforces). */
export const CONTACT_POLICIES = ['open', 'contacts_only', 'closed'] as const;
/** Who may post to a list (docs/LISTS.md): its member agents, or any DMARC-verified sender and any agent here. */
export const LIST_POST_POLICIES = ['members', 'contacts', 'anyone_verified'] as const;

/** Events about an agent itself rather than a message (docs/EPHEMERAL.md); account-level, like webhooks. */
export const AGENT_EVENT_TYPES = ['agent.expiring', 'agent.expired'] as const;
export type AgentEventType = (typeof AGENT_EVENT_TYPES)[number];

/** Events about a contact request or grant (docs/CONTACTS.md); account-level. */
export const CONTACT_EVENT_TYPES = ['contact.requested', 'contact.approved', 'contact.revoked'] as const;
export type ContactEventType = (typeof CONTACT_EVENT_TYPES)[number];
/** Events about a conversation rather than one message (docs/LABELS.md); account-level. */
export const CONVERSATION_EVENT_TYPES = ['conversation.labels_changed'] as const;
export type ConversationEventType = (typeof CONVERSATION_EVENT_TYPES)[number];

/**
 * Labels the gateway derives from a message's state instead of storing (docs/LABELS.md): `unread`
 * (not marked read), `sent` (the agent's own outbound mail), `trash` (deleted, awaiting purge) and
 * `held` (awaiting review, which no mailbox shows). No user label may take one of these names.
 */
export const SYSTEM_LABELS = ['unread', 'sent', 'trash', 'held'] as const;
export type SystemLabel = (typeof SYSTEM_LABELS)[number];
/**
 * A user label's name: 1 to 64 ASCII letters, digits and `. _ - :`, starting with a letter or a
 * digit; unique per agent without regard to case. ASCII only, so case folds alike on every engine.
 */
export const LABEL_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$';
export const LABEL_NAME_MAX_LENGTH = 64;

/** A contact as listed: `expired` is a pending code or a grant past its expiry; `failed` had too many wrong codes. */
export const CONTACT_STATES = ['pending', 'active', 'revoked', 'expired', 'failed'] as const;
/** `outgoing`: the agent asked; `incoming`: another agent of this gateway asked it. */
export const CONTACT_DIRECTIONS = ['incoming', 'outgoing'] as const;

/** Every event type, in one table. */
export const EVENT_TYPES = [
  'email.received',
  'email.sent',
  'email.failed',
  'email.review_requested',
  'email.review_approved',
  'email.review_rejected',
  'email.flagged',
  'email.blocked',
  /** An outbound message accepted with `send_at` (or approved before it): it goes out then (docs/OUTBOUND.md). */
  'email.scheduled',
  /** A scheduled message cancelled before it went out. */
  'email.cancelled',
  /** A message's labels changed (docs/LABELS.md); `data` carries its labels after the change. */
  'email.labels_changed',
  /** A message moved to the trash or purged from it (`data.deletion`; docs/RETENTION.md). */
  'email.deleted',
  /** A message taken back out of the trash, into the mailbox (docs/RETENTION.md). */
  'email.restored',
  ...AGENT_EVENT_TYPES,
  ...CONTACT_EVENT_TYPES,
  ...CONVERSATION_EVENT_TYPES,
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Close codes. 1000–1015 are RFC 6455 §7.4.1 codes; 4000–4999 are reserved for applications
 * (RFC 6455 §7.4.2), which is where every e2a-specific reason lives. What each means is in
 * CLOSE_MEANINGS, which the AsyncAPI and OpenAPI documents publish.
 */
export const CLOSE = {
  normal: 1000,
  serverShutdown: 1001,
  tooBig: 1009,
  internalError: 1011,
  authTimeout: 4000,
  authFailed: 4001,
  credentialInUrl: 4002,
  notFound: 4003,
  badFrame: 4004,
  slowConsumer: 4005,
  revoked: 4006,
  rateLimited: 4007,
  tooManyListeners: 4008,
} as const;

/** What each close code means, and what the client should do about it. */
export const CLOSE_MEANINGS: Record<keyof typeof CLOSE, string> = {
  normal: 'Client or server ended the session normally.',
  serverShutdown: 'The server is shutting down (or restarting); reconnect, to this or another replica.',
  tooBig: 'A frame larger than the server accepts (set by the ws library).',
  internalError: 'The server failed unexpectedly; reconnect with backoff.',
  authTimeout: 'No credential: neither an Authorization header nor an auth frame within the auth timeout.',
  authFailed: 'The API key is malformed, unknown or revoked. Do not retry with the same key.',
  credentialInUrl: 'A credential (token, key) was put in the URL; it is refused so it never reaches access logs.',
  notFound: 'The agent does not exist or this key may not see it (one code, so existence does not leak).',
  badFrame: 'A frame that is not JSON, not a known type, or out of order (e.g. ack before auth).',
  slowConsumer: "The client read too slowly and the server's send buffer filled; unacked events replay on reconnect.",
  revoked:
    'The key this connection authenticated with was revoked, or the agent was deleted, while it was open. Do not reconnect with the same key: create a new key, or check the agent still exists.',
  rateLimited: 'Too many connections from this key, or unauthenticated ones from this client; the reason says when to retry.',
  tooManyListeners: 'The agent already has as many listeners open as allowed (api_limits.max_listeners_per_agent); retry later.',
};
export type CloseName = keyof typeof CLOSE;
export type CloseCode = (typeof CLOSE)[CloseName];

/** The table's name for a close code, or null for a code it does not define. */
export function closeName(code: number): CloseName | null {
  for (const [name, value] of Object.entries(CLOSE)) if (value === code) return name as CloseName;
  return null;
}

/** Close codes after which reconnecting with the same request cannot succeed. */
export const FATAL_CLOSE_CODES: readonly CloseCode[] = [CLOSE.authFailed, CLOSE.credentialInUrl, CLOSE.notFound, CLOSE.revoked];
