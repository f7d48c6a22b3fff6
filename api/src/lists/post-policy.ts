/**
 * Who may post to a list, as a verdict (STYLE §8); the SMTP edge turns a refusal into 550 5.7.1 and
 * local delivery into the sender's failed status for the list. A further policy is one more case
 * here and one more value in LIST_POST_POLICIES and the lists_post_policy_check constraint.
 */
import type { Authentication } from '@e2a/sdk/wire';
import type { ListRow } from './repo.js';

export interface PostAttempt {
  /** The author (RFC 5322 From), lowercased; null when the message has none. */
  from: string | null;
  authentication: Authentication;
  /** True for mail an agent of this gateway sent (local delivery): the gateway authenticated it by key. */
  local: boolean;
  /** Member agents' addresses, lowercased. */
  members: ReadonlySet<string>;
  /** Whether the author holds a live contact grant with a member (docs/CONTACTS.md); asked only for the `contacts` policy. */
  contactOfMember: boolean;
}

export type PostVerdict = { ok: true } | { ok: false; reason: string };

export function mayPost(list: Pick<ListRow, 'address' | 'post_policy'>, attempt: PostAttempt): PostVerdict {
  // From outside, From is only the author when DMARC says so; from an agent here, the gateway wrote it.
  const authentic = attempt.local || attempt.authentication.verified;
  switch (list.post_policy) {
    case 'members':
      if (authentic && attempt.from !== null && attempt.members.has(attempt.from)) return { ok: true };
      return { ok: false, reason: `only members of ${list.address} may post to it` };
    case 'contacts':
      if (authentic && attempt.from !== null && (attempt.members.has(attempt.from) || attempt.contactOfMember)) return { ok: true };
      return { ok: false, reason: `only members of ${list.address} and their contacts may post to it` };
    case 'anyone_verified':
      if (authentic) return { ok: true };
      return { ok: false, reason: `${list.address} takes posts only from senders whose DMARC verifies` };
  }
}
