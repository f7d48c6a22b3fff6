/**
 * The sender-authentication verdict the relay hands to the api. It is data, never an exception
 * (STYLE §8): a DNS outage is `temperror`, a forged signature is `fail`, and only the edges decide
 * what to do about either. The keys are single words, so this object goes on the wire as-is.
 */

/** Result keywords as mailauth reports them (RFC 8601 §2.7, RFC 7208 §2.6). */
export const AUTH_STATUSES = [
  'pass',
  'fail',
  'softfail',
  'neutral',
  'none',
  'temperror',
  'permerror',
  'policy',
] as const;

export type AuthStatus = (typeof AUTH_STATUSES)[number];

export interface SpfVerdict {
  status: AuthStatus;
  /** The domain SPF was evaluated for: the MAIL FROM domain, or the HELO name for a null sender. */
  domain: string | null;
  /** True when this domain counts towards DMARC alignment with the From domain. */
  aligned: boolean;
}

export interface DkimVerdict {
  status: AuthStatus;
  /** The signing domain, `d=`. */
  domain: string;
  /** The key selector, `s=`. */
  selector: string;
  /** True when `d=` aligns with the From domain under the DMARC record's mode (relaxed without one). */
  aligned: boolean;
}

export interface DmarcVerdict {
  status: AuthStatus;
  /** The author (From) domain the policy was evaluated for; null when there is no single one. */
  domain: string | null;
  /** The policy the domain asks for after `sp`/`np`/`t=y` (`none | quarantine | reject`), null if no record. */
  policy: string | null;
}

export interface Authentication {
  spf: SpfVerdict;
  dkim: DkimVerdict[];
  dmarc: DmarcVerdict;
  arc: { status: AuthStatus };
  /**
   * True when the From address is proven: DMARC passed, or the domain publishes no DMARC record and
   * a DKIM signature passed whose `d=` aligns (relaxed) with the From domain.
   */
  verified: boolean;
  /** The RFC 5322 From address, lower-cased; null when there is not exactly one. */
  sender: string | null;
}

const KNOWN = new Set<string>(AUTH_STATUSES);

/**
 * Maps whatever keyword mailauth produced onto the closed set. `temperr` is mailauth's deprecated
 * spelling; `skipped`/`declined` mean nothing was checked. Anything else we do not know is neutral:
 * it must never read as a pass.
 */
export function normaliseStatus(value: unknown): AuthStatus {
  const s = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (KNOWN.has(s)) return s as AuthStatus;
  if (s === 'temperr') return 'temperror';
  if (s === 'skipped' || s === 'declined' || s === '') return 'none';
  return 'neutral';
}

/**
 * The verdict when verification as a whole could not run (resolver crash, deadline, a bug).
 * RFC 8601 §2.7: temperror tells the reader a later attempt might succeed; it is never verified.
 */
export function temperrorVerdict(sender: string | null): Authentication {
  return {
    spf: { status: 'temperror', domain: null, aligned: false },
    dkim: [],
    dmarc: { status: 'temperror', domain: sender ? domainOf(sender) : null, policy: null },
    arc: { status: 'temperror' },
    verified: false,
    sender: sender ? sender.toLowerCase() : null,
  };
}

function domainOf(address: string): string | null {
  const at = address.lastIndexOf('@');
  return at > 0 ? address.slice(at + 1).toLowerCase() : null;
}
