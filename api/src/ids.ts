/**
 * Identifiers: a type prefix and a ULID (time-ordered, so newest-first listing is an index scan on
 * the id and a cursor is just the last id seen).
 */
import { createHash, randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/**
 * ulid's default PRNG draws crypto random bytes once per character; drawing them 4 KiB at a time
 * keeps the same source (crypto.randomBytes) at a fraction of the cost on the hot path.
 */
const pool = { bytes: Buffer.alloc(0), offset: 0 };
function pooledRandom(): number {
  if (pool.offset >= pool.bytes.length) {
    pool.bytes = randomBytes(4096);
    pool.offset = 0;
  }
  return pool.bytes[pool.offset++]! / 256;
}

const ulid = monotonicFactory(pooledRandom);

export const ID_PREFIX = {
  user: 'usr',
  apiKey: 'key',
  agent: 'agt',
  domain: 'dom',
  message: 'msg',
  /** message_blobs: one per accepted message (migrations/0004 derives old rows' ids as blob_ + the message's ULID). */
  blob: 'blob',
  conversation: 'conv',
  queue: 'q',
  webhook: 'wh',
  review: 'rev',
  systemMail: 'sys',
  /** outbox: mail captured instead of sent (outbound_smtp.mode outbox). */
  outbox: 'obx',
  /** dashboard_sessions and dashboard_sign_in_links. */
  session: 'ses',
  signInLink: 'sil',
  /** contacts: a contact request and its grant. */
  contact: 'cnt',
  /** lists (migration 0015; docs/LISTS.md). */
  list: 'lst',
  /** account_exports and erasures (migration 0021; docs/DATA.md). */
  export: 'exp',
  erasure: 'era',
  /** labels (migration 0018; docs/LABELS.md). */
  label: 'lbl',
  /** saved_drafts (migration 0019): a draft saved to send later. */
  draft: 'drf',
} as const;

export function newId(kind: keyof typeof ID_PREFIX): string {
  return `${ID_PREFIX[kind]}_${ulid().toLowerCase()}`;
}

/**
 * Event ids are deterministic (DESIGN §5): the same message and type always give the same id, so a
 * webhook retry, a WebSocket replay and the REST listing all agree, and re-emitting is a no-op.
 */
export function eventId(messageId: string, type: string): string {
  return `evt_${createHash('sha256').update(`${messageId}\n${type}`).digest('hex').slice(0, 32)}`;
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
