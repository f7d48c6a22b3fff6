/**
 * Where the gateway's own mail (review notifications with their approval links, postmaster@
 * forwards) may go: never to a domain this gateway receives mail for. Every address there is an
 * agent's mailbox or nobody's, so review mail sent there would either vanish or hand the approval
 * links to an agent, possibly the very agent whose mail is held (it would approve itself), or
 * another tenant's.
 *
 * Two checks, one rule:
 *   - when the reviewers are configured (PUT …/protection): an address on the shared domain or on
 *     one of the caller's own verified domains is refused with a 422 that says why. Another
 *     tenant's verified domain is not named there: that would tell the caller which domains other
 *     accounts hold; the send-time check stops that mail instead.
 *   - when system mail is sent (workers/system-mail.ts): each recipient on any served domain, the
 *     shared one or any account's verified one, read fresh from the database (a domain verified
 *     after the reviewers were set counts at once), is dropped from the envelope with the reason in
 *     system_mail.status_reason and the log, never delivered.
 */
import type { Database } from '../db/database.js';
import { LocalDomains } from '../outbound/local-domains.js';
import type { Clock } from '../clock.js';

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

export class SystemMailRecipients {
  private readonly served: LocalDomains;

  constructor(private readonly deps: { db: Database; sharedDomain: string; clock: Clock }) {
    // No cache: a domain verified a moment ago must already count.
    this.served = new LocalDomains({ db: deps.db, sharedDomain: deps.sharedDomain, clock: deps.clock, ttlMs: 0 });
  }

  /** Why system mail must not go to `address`, or null when it may. */
  async refusal(address: string): Promise<string | null> {
    if (!(await this.served.includes(address))) return null;
    return `${address} is at ${domainOf(address)}, a domain this gateway receives mail for: system mail is never delivered into an agent's mailbox`;
  }

  /** Splits one system mail's recipients into those it goes to and those it must not. */
  async split(addresses: readonly string[]): Promise<{ allowed: string[]; refused: string[] }> {
    const allowed: string[] = [];
    const refused: string[] = [];
    for (const address of addresses) {
      const reason = await this.refusal(address);
      if (reason) refused.push(reason);
      else allowed.push(address);
    }
    return { allowed, refused };
  }

  /** Why `userId` may not name `address` as a reviewer (see above), or null. */
  async reviewerRefusal(userId: string, address: string): Promise<string | null> {
    const domain = domainOf(address);
    const own =
      domain === this.deps.sharedDomain ||
      (await this.deps.db
        .selectFrom('domains')
        .select('id')
        .where('user_id', '=', userId)
        .where('name', '=', domain)
        .where('verified_at', 'is not', null)
        .executeTakeFirst()) !== undefined;
    if (!own) return null;
    return `${address} is at ${domain}, a domain this gateway receives mail for: review mail there would land in an agent's mailbox, and an agent could approve its own mail; name a human's address outside this gateway`;
  }
}
