/**
 * Addresses no tenant may hold as an agent: the mailboxes mail convention gives to whoever runs a
 * domain, and the addresses the gateway itself sends from or sends to. An agent at one of them would
 * read mail meant for the operator (complaints, delivery reports, replies to review mail) or pass its
 * own mail off as the gateway's.
 *
 * Where a name is reserved:
 *   - on EVERY served domain (the shared one and each verified one): postmaster and abuse, which
 *     reach the operator (inbound/postmaster.ts; RFC 5321 §4.5.1 requires postmaster@ every domain a
 *     server receives for, RFC 2142 §2 names abuse@ for the mail service), and mailer-daemon, the
 *     conventional sender of the MTA's own delivery reports (RFC 3464 reports come "from the MTA");
 *     this gateway is the MTA of every domain it serves;
 *   - on the SHARED domain only: hostmaster and webmaster (RFC 2142 §5: per domain, for whoever runs
 *     its DNS and web site; on a tenant's own domain that is the tenant), noreply and no-reply, the
 *     gateway's system senders (review@, the default `review.notify_from`; postmaster@ is the From
 *     of postmaster forwards), admin (the first account's address when no `admin_email` is given),
 *     and every local part listed in `shared_domain_reserved`;
 *   - as exact addresses wherever they are: `review.notify_from` and `admin_email` (an operator may
 *     put either on a domain of its own that it verified here).
 * A subaddress of a reserved name is reserved too (`postmaster+reports`): by the convention of
 * RFC 5233 the mailbox is the part before the `+`, and a sender writing it means that mailbox.
 * A reserved address is refused when an agent is created; agents that existed before a name was
 * reserved are left alone (AgentsService answers why a create is refused).
 */

/** Local parts routed to the operator on every served domain. */
export const OPERATOR_LOCAL_PARTS: ReadonlySet<string> = new Set(['postmaster', 'abuse']);

/** Reserved on every domain this gateway serves. */
const EVERY_DOMAIN: ReadonlySet<string> = new Set([...OPERATOR_LOCAL_PARTS, 'mailer-daemon']);

/** Reserved on the shared domain, besides `shared_domain_reserved`. */
const SHARED_DOMAIN: ReadonlySet<string> = new Set(['hostmaster', 'webmaster', 'noreply', 'no-reply', 'review', 'admin']);

export interface ReservedAddressesConfig {
  sharedDomain: string;
  /** `shared_domain_reserved`: more local parts no tenant may take on the shared domain. */
  sharedDomainReserved: readonly string[];
  /** The gateway's own addresses: `review.notify_from`, `admin_email` (empty entries are skipped). */
  systemAddresses: readonly string[];
}

export class ReservedAddresses {
  private readonly sharedDomain: string;
  private readonly shared: ReadonlySet<string>;
  private readonly exact: ReadonlySet<string>;

  constructor(config: ReservedAddressesConfig) {
    this.sharedDomain = config.sharedDomain.toLowerCase();
    this.shared = new Set([...SHARED_DOMAIN, ...config.sharedDomainReserved.map((l) => l.trim().toLowerCase())]);
    this.exact = new Set(config.systemAddresses.map((a) => a.trim().toLowerCase()).filter((a) => a !== ''));
  }

  /** True when no tenant may create an agent at `local`@`domain`. */
  isReserved(local: string, domain: string): boolean {
    const name = local.toLowerCase();
    const mailbox = name.split('+', 1)[0]!;
    const at = domain.toLowerCase();
    return [name, mailbox].some((n) => EVERY_DOMAIN.has(n) || (at === this.sharedDomain && this.shared.has(n)) || this.exact.has(`${n}@${at}`));
  }
}
