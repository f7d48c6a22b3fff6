/**
 * Table types for kysely, mirroring migrations/. `Generated<T>` columns have database defaults.
 */
import type { ColumnType, Generated } from 'kysely';
import type { LIST_POST_POLICIES } from '@e2a/sdk/values';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;
/** jsonb with a database default: optional on insert, still written as text. (Generated<Json<T>> would demand the ColumnType itself on update.) */
type JsonDefault<T> = ColumnType<T, string | undefined, string>;

export interface UsersTable {
  id: string;
  email: string;
  created_at: Generated<Date>;
  /** Set while an account erasure is pending or under way (migration 0021): the account is disabled. */
  erasure_id: Generated<string | null>;
  /** Days a message is kept before it goes to the trash (migration 0020; docs/RETENTION.md); null: forever. */
  retention_days: Generated<number | null>;
}

export interface DomainsTable {
  id: string;
  user_id: string;
  name: string;
  verification_token: string;
  verified_at: Date | null;
  created_at: Generated<Date>;
}

/** One per account: the key its X-E2A-Auth-* claims are signed with (accounts/claims-keys.ts). */
export interface AccountClaimsKeysTable {
  user_id: string;
  /** Sealed (SecretBox). */
  secret: Uint8Array;
  previous_secret: Uint8Array | null;
  previous_secret_expires_at: Date | null;
  created_at: Timestamp;
  rotated_at: Date | null;
}

export interface AgentsTable {
  id: string;
  user_id: string;
  address: string;
  domain: string;
  display_name: string | null;
  protection: JsonDefault<Record<string, unknown>>;
  created_at: Generated<Date>;
  /** Ephemeral inboxes (migration 0013): the agent is gone from this instant; null never expires. */
  expires_at: Generated<Date | null>;
  /** When agent.expiring was emitted for the current expires_at. */
  expiring_notified_at: Generated<Date | null>;
  /** Set while an erasure of the agent or its account is pending or under way (migration 0021): disabled. */
  erasure_id: Generated<string | null>;
  /** The agent's own retention period (migration 0020), null keeping forever; unused while retention_inherits. */
  retention_days: Generated<number | null>;
  /** The agent has no period of its own and follows its account's. */
  retention_inherits: Generated<boolean>;
}

/** An agent's capability card (migration 0012; cards/service.ts). `search` is generated from `card`. */
export interface AgentCardsTable {
  agent_id: string;
  visibility: 'account' | 'public';
  card: Json<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A list (migration 0015; docs/LISTS.md): an address that fans mail out to member agents. */
export interface ListsTable {
  id: string;
  user_id: string;
  address: string;
  domain: string;
  name: string;
  description: Generated<string>;
  post_policy: (typeof LIST_POST_POLICIES)[number];
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ListMembersTable {
  list_id: string;
  agent_id: string;
  created_at: Timestamp;
}

/** A contact request and, once approved, the grant both ways (migration 0014; contacts/service.ts). */
export interface ContactsTable {
  id: string;
  agent_id: string;
  address: string;
  peer_address: string;
  peer_agent_id: string | null;
  note: string | null;
  state: 'pending' | 'active' | 'revoked' | 'failed';
  code_hash: string;
  code_expires_at: Timestamp;
  attempts: Generated<number>;
  expires_at: Date | null;
  created_at: Timestamp;
  approved_at: Date | null;
  revoked_at: Date | null;
}

export interface ApiKeysTable {
  id: string;
  user_id: string;
  name: Generated<string>;
  prefix: string;
  key_hash: string;
  scope: 'account' | 'agent';
  agent_id: string | null;
  created_at: Generated<Date>;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface DashboardSignInLinksTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
}

export interface DashboardSessionsTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date;
  revoked_at: Date | null;
  user_agent: string | null;
}

export interface ConversationsTable {
  id: string;
  agent_id: string;
  subject: string | null;
  message_count: Generated<number>;
  created_at: Generated<Date>;
  last_message_at: Timestamp;
}

/** An agent's label (migration 0018; docs/LABELS.md): unique per agent by lower(name). */
export interface LabelsTable {
  id: string;
  agent_id: string;
  name: string;
  created_at: Timestamp;
}

export interface MessageLabelsTable {
  message_id: string;
  label_id: string;
}

export interface ConversationLabelsTable {
  conversation_id: string;
  label_id: string;
}

export interface StoredAddress {
  address: string;
  name: string | null;
}

export interface MessagesTable {
  id: string;
  agent_id: string;
  conversation_id: string;
  direction: 'inbound' | 'outbound';
  status: string;
  queue_id: string | null;
  message_id_header: string | null;
  in_reply_to: string | null;
  references_header: Json<string[]>;
  dedupe_key: string;
  content_hash: string;
  from_address: string | null;
  from_name: string | null;
  to_addresses: Json<StoredAddress[]>;
  cc_addresses: Json<StoredAddress[]>;
  subject: string | null;
  envelope: Json<Record<string, unknown>>;
  authentication: Json<unknown> | null;
  verified: boolean;
  headers: Json<Array<{ name: string; value: string }>>;
  /** The message's bytes (message_blobs), shared by every recipient's copy of one accepted message. */
  blob_id: string;
  size_bytes: number;
  attachment_count: number;
  read_at: Date | null;
  /** Per-message expiry (migration 0013): an inbound copy unread at this instant leaves the mailbox. */
  expires_at: Generated<Date | null>;
  received_at: Timestamp;
  created_at: Generated<Date>;
  bcc_addresses: JsonDefault<StoredAddress[]>;
  reply_to_addresses: JsonDefault<StoredAddress[]>;
  delivery: JsonDefault<Array<{ address: string; status: string; response: string | null }>>;
  attempts: Generated<number>;
  next_attempt_at: Date | null;
  locked_until: Date | null;
  status_reason: string | null;
  sent_at: Date | null;
  first_attempt_at: Generated<Date | null>;
  draft: Uint8Array | null;
  held: Generated<boolean>;
  /** urgent, normal or low (migration 0011; docs/PRIORITIES.md). */
  priority: Generated<'urgent' | 'normal' | 'low'>;
  /** When the send asked to go out (migration 0019); a `scheduled` message is due then. */
  send_at: Generated<Date | null>;
  /** In the trash since (migration 0020; docs/RETENTION.md): out of the mailbox, purged retention.trash_days later. */
  deleted_at: Generated<Date | null>;
}

export interface DkimKeysTable {
  domain: string;
  selector: string;
  private_key: Uint8Array;
  public_key: string;
  created_at: Timestamp;
}

export interface ReviewsTable {
  id: string;
  user_id: string;
  agent_id: string;
  message_id: string;
  direction: 'inbound' | 'outbound';
  status: 'pending' | 'approved' | 'rejected' | 'expired_approved' | 'expired_rejected';
  reasons: Json<string[]>;
  expires_at: Timestamp;
  on_expiry: 'approve' | 'reject';
  decided_at: Date | null;
  decided_by: string | null;
  decision_note: string | null;
  edits: Json<Record<string, unknown>> | null;
  created_at: Timestamp;
}

export interface ReviewTokensTable {
  token_hash: string;
  review_id: string;
  action: 'approve' | 'reject';
  expires_at: Timestamp;
  used_at: Date | null;
}

export interface SystemMailTable {
  id: string;
  user_id: string | null;
  kind: string;
  from_address: string;
  to_addresses: Json<string[]>;
  subject: string;
  text_body: Uint8Array;
  html_body: Uint8Array | null;
  /** Sealed message/rfc822 attachment: the original of a forwarded postmaster@ mail. */
  attachment: Generated<Uint8Array | null>;
  /** The agent the mail is about (a review notification; migration 0021), for erasure. */
  agent_id: Generated<string | null>;
  status: 'queued' | 'sent' | 'failed';
  attempts: Generated<number>;
  next_attempt_at: Date | null;
  locked_until: Date | null;
  status_reason: string | null;
  created_at: Timestamp;
  sent_at: Date | null;
}

/** Mail captured instead of sent (outbound_smtp.mode outbox; migrations/0007). */
export interface OutboxTable {
  id: string;
  user_id: string | null;
  source: 'message' | 'system_mail';
  source_id: string;
  agent_address: string | null;
  mail_from: string;
  recipients: Json<string[]>;
  subject: string;
  /** Sealed: the composed, signed message as it would have left. */
  raw: Uint8Array;
  size_bytes: number;
  created_at: Timestamp;
}

/** Saved drafts (migration 0019; saved-drafts/): sealed until sent through POST …/drafts/{id}/send. */
export interface SavedDraftsTable {
  id: string;
  agent_id: string;
  subject: string;
  to_addresses: Json<unknown[]>;
  attachment_count: number;
  /** The message id this draft answers. */
  in_reply_to: string | null;
  send_at: Date | null;
  /** Sealed DraftRequest JSON. */
  content: Uint8Array;
  size_bytes: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface IdempotencyKeysTable {
  user_id: string;
  key: string;
  request_hash: string;
  state: 'in_flight' | 'done';
  response_status: number | null;
  response_body: Json<unknown> | null;
  created_at: Timestamp;
}

/** Fixed-window rate-limit counters shared by replicas (limits/limiter.ts). */
export interface RateLimitsTable {
  key: string;
  points: number;
  expires_at: Date;
}

/**
 * One accepted message's bytes, sealed (AES-256-GCM): stored once however many recipients it has,
 * referenced by each copy's messages.blob_id, deleted with the last copy (migrations/0004).
 */
export interface MessageBlobsTable {
  id: string;
  /** null only for outbound mail the worker has not composed yet. */
  raw: Uint8Array | null;
  text_body: Uint8Array | null;
  html_body: Uint8Array | null;
  created_at: Timestamp;
  /**
   * The words of subject, addresses, names, attachment file names and body (migration 0017;
   * messages/search-document.ts): once per message, shared by its copies, written with the blob from
   * the plaintext. NULL: stored before search existed and not yet indexed (`e2a-server search-index`).
   */
  search: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A message's attachments, once per blob (not per recipient). */
export interface AttachmentsTable {
  blob_id: string;
  idx: number;
  filename: string | null;
  content_type: string;
  size_bytes: number;
  content_id: string | null;
  disposition: string;
  sha256: string;
  content: Uint8Array;
}

export interface EventsTable {
  seq: Generated<string>;
  id: string;
  user_id: string;
  agent_id: string | null;
  type: string;
  schema_version: number;
  data: Json<Record<string, unknown>>;
  created_at: Generated<Date>;
  acked_at: Date | null;
}

export interface WebhooksTable {
  id: string;
  user_id: string;
  url: string;
  events: Json<string[]>;
  filter_agent_addresses: Json<string[]>;
  filter_conversation_ids: Json<string[]>;
  description: string;
  enabled: boolean;
  disabled_reason: string | null;
  secret: Uint8Array;
  previous_secret: Uint8Array | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  last_success_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookDeliveriesTable {
  id: string;
  webhook_id: string;
  event_id: string;
  status: 'pending' | 'succeeded' | 'dead';
  attempts: Generated<number>;
  next_attempt_at: Timestamp;
  locked_until: Date | null;
  last_status: number | null;
  last_error: string | null;
  /** Request start to response headers (or to the failure) on the last attempt. */
  last_latency_ms: number | null;
  /** The start of the last response body, sanitised (webhooks/response-excerpt.ts); null if none arrived. */
  last_response_excerpt: string | null;
  created_at: Timestamp;
  completed_at: Date | null;
}

/** An account export job (migration 0021; docs/DATA.md). */
export interface AccountExportsTable {
  id: string;
  user_id: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'expired';
  messages_total: Generated<number>;
  messages_done: Generated<number>;
  cursor: JsonDefault<Record<string, unknown>>;
  chunks: Generated<number>;
  size_bytes: ColumnType<string, number | string | undefined, number | string>;
  attempts: Generated<number>;
  lease_owner: string | null;
  locked_until: Date | null;
  error: string | null;
  created_at: Timestamp;
  started_at: Date | null;
  completed_at: Date | null;
  expires_at: Date | null;
}

/** One sealed piece of an export's tar archive, in order of seq. */
export interface AccountExportChunksTable {
  export_id: string;
  seq: number;
  data: Uint8Array;
  size_bytes: number;
}

/** An account or agent erasure and, once done, its report (migration 0021; docs/DATA.md). */
export interface ErasuresTable {
  id: string;
  user_id: string;
  scope: 'account' | 'agent';
  agent_id: string | null;
  target: string | null;
  status: 'scheduled' | 'cancelled' | 'erasing' | 'done';
  cancel_token_hash: string;
  /** Rows deleted so far, per table. */
  erased: JsonDefault<Record<string, number>>;
  requested_at: Timestamp;
  erase_after: Timestamp;
  cancelled_at: Date | null;
  started_at: Date | null;
  completed_at: Date | null;
}

export interface SettingsTable {
  key: string;
  value: string;
}

export interface MigrationsTable {
  name: string;
  checksum: string;
  applied_at: Generated<Date>;
}

export interface DB {
  users: UsersTable;
  domains: DomainsTable;
  account_claims_keys: AccountClaimsKeysTable;
  agents: AgentsTable;
  agent_cards: AgentCardsTable;
  contacts: ContactsTable;
  lists: ListsTable;
  list_members: ListMembersTable;
  api_keys: ApiKeysTable;
  dashboard_sign_in_links: DashboardSignInLinksTable;
  dashboard_sessions: DashboardSessionsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  labels: LabelsTable;
  message_labels: MessageLabelsTable;
  conversation_labels: ConversationLabelsTable;
  message_blobs: MessageBlobsTable;
  attachments: AttachmentsTable;
  events: EventsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  dkim_keys: DkimKeysTable;
  reviews: ReviewsTable;
  review_tokens: ReviewTokensTable;
  idempotency_keys: IdempotencyKeysTable;
  rate_limits: RateLimitsTable;
  system_mail: SystemMailTable;
  outbox: OutboxTable;
  saved_drafts: SavedDraftsTable;
  account_exports: AccountExportsTable;
  account_export_chunks: AccountExportChunksTable;
  erasures: ErasuresTable;
  settings: SettingsTable;
  e2a_migrations: MigrationsTable;
}
