/**
 * Table types for kysely, mirroring migrations/. `Generated<T>` columns have database defaults.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface UsersTable {
  id: string;
  email: string;
  created_at: Generated<Date>;
}

export interface DomainsTable {
  id: string;
  user_id: string;
  name: string;
  verification_token: string;
  verified_at: Date | null;
  dkim_selector: string | null;
  dkim_private_key: Uint8Array | null;
  dkim_public_key: string | null;
  created_at: Generated<Date>;
}

export interface AgentsTable {
  id: string;
  user_id: string;
  address: string;
  domain: string;
  display_name: string | null;
  created_at: Generated<Date>;
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

export interface ConversationsTable {
  id: string;
  agent_id: string;
  subject: string | null;
  message_count: Generated<number>;
  created_at: Generated<Date>;
  last_message_at: Timestamp;
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
  text_body: Uint8Array | null;
  html_body: Uint8Array | null;
  raw: Uint8Array;
  size_bytes: number;
  attachment_count: number;
  read_at: Date | null;
  received_at: Timestamp;
  created_at: Generated<Date>;
}

export interface AttachmentsTable {
  message_id: string;
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
  created_at: Timestamp;
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
  agents: AgentsTable;
  api_keys: ApiKeysTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  attachments: AttachmentsTable;
  events: EventsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  settings: SettingsTable;
  e2a_migrations: MigrationsTable;
}
