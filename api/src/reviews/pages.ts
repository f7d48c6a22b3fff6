/**
 * The magic-link HTML pages. Self-contained (no scripts, no external resources) so the strict
 * Content-Security-Policy can forbid everything but this page's own stylesheet (by hash) and a form
 * that posts back to this same URL. Everything shown from the message is escaped.
 */
import { createHash } from 'node:crypto';
import { releaseAt } from '../outbound/schedule.js';
import type { LinkPage, ReviewSummary } from './magic-links.js';
import type { ReviewStatus } from './repo.js';

const STYLE = 'body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}pre{white-space:pre-wrap;border:1px solid #ccc;padding:.5rem;max-height:24rem;overflow:auto}button{font-size:1.1rem;padding:.5rem 1.5rem}td{padding:0 .5rem;vertical-align:top}.muted{color:#555}';
const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/** Headers for every page: not cached (the URL is a credential), not framed, no referrer leaks the token. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STATUS_TEXT: Record<ReviewStatus, string> = {
  pending: 'still pending',
  approved: 'approved',
  rejected: 'rejected',
  expired_approved: 'approved automatically when the hold expired',
  expired_rejected: 'rejected automatically when the hold expired',
};

/** A whole page in the shared style (PAGE_HEADERS' CSP allows its stylesheet); `body` is HTML, already escaped. */
export function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** What a reviewer is shown about a held message, on the confirm page and in the notification mail. */
export function summaryFacts(r: ReviewSummary): Array<[string, string]> {
  return [
    ['Agent', r.agentAddress],
    ['Direction', r.direction],
    ['From', r.from ?? '(none)'],
    ['To', r.to.join(', ') || '(none)'],
    ['Subject', r.subject ?? '(no subject)'],
    ...(r.sendAt ? [['Send at', utcTime(r.sendAt)] as [string, string]] : []),
  ];
}

/** "2026-12-03 09:00 UTC", with the seconds when it has any: a time as a reviewer reads it. */
function utcTime(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, at.getUTCSeconds() === 0 && at.getUTCMilliseconds() === 0 ? 16 : 19)} UTC`;
}

/**
 * When an outbound message sent with send_at leaves if approved: at that time if it is still to
 * come, at once if it has passed (docs/OUTBOUND.md, "Scheduled sending"; the rule is releaseAt's).
 * With `now`, said for that moment (the confirm page); without, for a reader who may read it on
 * either side of the time (the notification mail).
 */
export function scheduleNote(sendAt: Date, now?: Date): string {
  const at = utcTime(sendAt);
  if (!now) return `Scheduled for ${at}; approving before then sends it at that time, approving later sends it at once.`;
  return releaseAt(sendAt, now).status === 'scheduled'
    ? `Scheduled for ${at}; approving before then sends it at that time.`
    : `Scheduled for ${at}, which has passed; approving sends it at once.`;
}

export function expiryNote(r: Pick<ReviewSummary, 'expiresAt' | 'onExpiry'>): string {
  return `If nobody decides by ${r.expiresAt.toISOString()}, it will be ${r.onExpiry === 'approve' ? 'approved' : 'rejected'} automatically.`;
}

function summary(r: ReviewSummary): string {
  return `<table>${summaryFacts(r).map(([k, v]) => `<tr><td><b>${k}</b></td><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<p>Why it was held:</p><ul>${r.reasons.map((x) => `<li>${escapeHtml(x)}</li>`).join('')}</ul>
<pre>${escapeHtml(r.preview ?? '(no text part)')}</pre>`;
}

export function renderPage(page: LinkPage): string {
  switch (page.kind) {
    case 'confirm': {
      const verb = page.action === 'approve' ? 'Approve' : 'Reject';
      const effect =
        page.action === 'approve'
          ? page.review.direction === 'outbound'
            ? page.review.sendAt ? escapeHtml(scheduleNote(page.review.sendAt, page.at)) : 'The message will be sent.'
            : 'The message will be delivered to the agent.'
          : page.review.direction === 'outbound' ? 'The message will not be sent.' : 'The agent will never see the message.';
      // No action attribute: the form posts to this very URL, the only place the token lives.
      return layout(`${verb} this message?`, `${summary(page.review)}
<p>${effect} Nothing has happened yet.</p>
<form method="post"><button type="submit">${verb}</button></form>
<p class="muted">${escapeHtml(expiryNote(page.review))}</p>`);
    }
    case 'done':
      return layout(
        page.action === 'approve' ? 'Approved' : 'Rejected',
        `<p>${page.action === 'approve' ? (page.direction === 'outbound' ? (page.sendsAt ? `The message will be sent at ${utcTime(page.sendsAt)}, as scheduled.` : 'The message is on its way.') : 'The message has been delivered to the agent.') : page.direction === 'outbound' ? 'The message will not be sent.' : 'The message stays hidden from the agent.'}</p>`,
      );
    case 'used':
      return layout('This link has already been used', `<p>Each review link works once. This review is ${STATUS_TEXT[page.status]}.</p>`);
    case 'decided':
      return layout('Already decided', `<p>This review was decided elsewhere: it is ${STATUS_TEXT[page.status]}.</p>`);
    case 'expired':
      return layout(
        'This link has expired',
        `<p>The hold expired, so the link no longer works. On expiry the message is ${page.onExpiry === 'approve' ? 'approved' : 'rejected'} automatically${page.status === 'pending' ? ' (shortly)' : `; this review is ${STATUS_TEXT[page.status]}`}.</p>`,
      );
    case 'invalid':
      return layout('Link not recognised', '<p>This review link is not valid. Check that the whole link was copied from the notification email.</p>');
  }
}
