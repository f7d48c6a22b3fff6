/**
 * The reviewer's notification mail: what is held and why, and two magic links. It goes into
 * system_mail (sent by the system-mail worker), never into an agent's mailbox, so no agent can read
 * the links that decide about its own mail. Everything from the message is escaped in the HTML part:
 * the held mail may be hostile.
 */
import type { ReviewSummary } from './magic-links.js';
import { escapeHtml, expiryNote, scheduleNote, summaryFacts } from './pages.js';

export interface NotificationInput extends ReviewSummary {
  reviewId: string;
  approveUrl: string;
  rejectUrl: string;
}

export interface ComposedNotification {
  subject: string;
  text: string;
  html: string;
}

const PREVIEW_CHARS = 4000;

function oneLine(value: string, max: number): string {
  const flat = value.replace(/[\r\n\t]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function composeNotification(n: NotificationInput): ComposedNotification {
  const what = n.direction === 'outbound' ? `${n.agentAddress} wants to send a message` : `A message to ${n.agentAddress} is held`;
  const subject = `[e2a review] ${what}: ${oneLine(n.subject ?? '(no subject)', 120)}`;
  const preview = n.preview === null ? '(no text part)' : n.preview.length > PREVIEW_CHARS ? `${n.preview.slice(0, PREVIEW_CHARS)}\n[… truncated]` : n.preview;
  const expiry = expiryNote(n);
  // Composed once and read at any time after, so it says what approval does on both sides of send_at.
  const schedule = n.direction === 'outbound' && n.sendAt ? scheduleNote(n.sendAt) : null;
  const facts: Array<[string, string]> = [...summaryFacts(n), ['Review', n.reviewId]];
  const text = [
    `${what}. It waits for your decision.`,
    ...(schedule ? [schedule] : []),
    '',
    ...facts.map(([k, v]) => `${k}: ${oneLine(v, 500)}`),
    '',
    'Why it was held:',
    ...n.reasons.map((r) => `  - ${r}`),
    '',
    '----- message text -----',
    preview,
    '------------------------',
    '',
    `Approve: ${n.approveUrl}`,
    `Reject:  ${n.rejectUrl}`,
    '',
    'Each link opens a confirmation page; nothing happens until you press the button there. Each link works once.',
    expiry,
    '',
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif;max-width:640px">
<p><strong>${escapeHtml(what)}.</strong> It waits for your decision.</p>
${schedule ? `<p>${escapeHtml(schedule)}</p>\n` : ''}<table>${facts.map(([k, v]) => `<tr><td><b>${escapeHtml(k)}</b></td><td>${escapeHtml(oneLine(v, 500))}</td></tr>`).join('')}</table>
<p>Why it was held:</p><ul>${n.reasons.map((r) => `<li>${escapeHtml(r)}</li>`).join('')}</ul>
<pre style="white-space:pre-wrap;border:1px solid #ccc;padding:8px">${escapeHtml(preview)}</pre>
<p><a href="${escapeHtml(n.approveUrl)}">Approve</a> &nbsp; <a href="${escapeHtml(n.rejectUrl)}">Reject</a></p>
<p style="color:#555">Each link opens a confirmation page; nothing happens until you press the button there. Each link works once. ${escapeHtml(expiry)}</p>
</body></html>`;
  return { subject, text, html };
}
