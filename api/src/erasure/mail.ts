/**
 * The two mails an account's deletion sends to the account's email, through the system mail worker:
 * the notice when it is scheduled (with the way back), and the report once it is done (what was
 * erased, table by table). Plain text: nothing in them needs markup.
 */
import type { Counts } from './plan.js';

export function scheduledNotice(n: { erasureId: string; email: string; eraseAfter: Date; token: string }): { subject: string; text: string } {
  const at = new Date(n.eraseAfter).toISOString();
  return {
    subject: 'Your e2a account is scheduled for deletion',
    text: [
      `The e2a account ${n.email} was asked to be deleted. It is disabled now: its API keys and`,
      'dashboard sessions no longer work, mail to its agents is refused, and their listeners are closed.',
      '',
      `At ${at} everything it holds will be erased: agents, mail, events, webhooks, keys, contacts,`,
      'lists and settings. That cannot be undone.',
      '',
      'To keep the account, cancel before then:',
      '',
      `  e2a account delete --cancel ${n.erasureId} --token ${n.token}`,
      '',
      `or POST /v1/erasures/${n.erasureId}/cancel with {"token": "${n.token}"}.`,
      '',
      'If you asked for this, there is nothing to do.',
      '',
    ].join('\n'),
  };
}

export function erasureReport(r: { erasureId: string; completedAt: Date; erased: Counts }): { subject: string; text: string } {
  const rows = Object.entries(r.erased)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b));
  const width = Math.max(5, ...rows.map(([t]) => t.length));
  return {
    subject: 'Your e2a account has been deleted',
    text: [
      `Your e2a account was erased at ${new Date(r.completedAt).toISOString()} (erasure ${r.erasureId}).`,
      'Rows deleted, by table:',
      '',
      ...rows.map(([table, n]) => `  ${table.padEnd(width)}  ${n}`),
      '',
      'The gateway keeps only this erasure\'s record: its id, the counts above and when it ran.',
      '',
    ].join('\n'),
  };
}
