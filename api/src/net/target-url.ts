/**
 * Rules a webhook URL must meet before anything is dialled: at create/update time (a fix-it 422)
 * and again on every attempt and redirect hop. Names are not resolved here: what a name resolves to
 * is checked at dial time (guarded-lookup.ts), because a name can answer differently later.
 */
import ipaddr from 'ipaddr.js';
import type { TargetPolicy } from './address-policy.js';

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

const PRIVATE_HINT = 'set webhooks.allow_private_targets: true (E2A_WEBHOOKS_ALLOW_PRIVATE_TARGETS=true) for development only';

/** The bare host of a URL: brackets stripped from IPv6 literals. */
export function urlHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

export function checkTargetUrl(text: string, policy: TargetPolicy): UrlVerdict {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'not an absolute URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: `scheme ${url.protocol} is not supported; use https://` };
  if (url.protocol === 'http:' && !policy.allowHttp) return { ok: false, reason: `http:// is refused; use https:// (or ${PRIVATE_HINT})` };
  // Credentials in a URL end up in logs and in the dashboard; receivers authenticate us by signature.
  if (url.username || url.password) return { ok: false, reason: 'URL must not contain credentials; verify the webhook signature instead' };
  const host = urlHost(url);
  if (!host) return { ok: false, reason: 'URL has no host' };
  if (!policy.allowPrivate) {
    if (ipaddr.isValid(host) && (host.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(host))) {
      const verdict = policy.checkAddress(host);
      if (!verdict.allowed) return { ok: false, reason: `${host} is a ${verdict.range} address; ${PRIVATE_HINT}` };
    } else if (/^localhost$|\.localhost$/i.test(host.replace(/\.$/, ''))) {
      return { ok: false, reason: `${host} is loopback (RFC 6761); ${PRIVATE_HINT}` };
    }
  }
  return { ok: true, url };
}
