import type { Review } from '@e2a/sdk';
import type { Command } from 'commander';
import { table, type Context } from '../context.js';

export function reviewCommands(program: Command, ctx: () => Context): void {
  const reviews = program.command('reviews').description('held mail waiting for a human (account key)');
  reviews
    .command('list')
    .option('--status <status>', 'pending (default), approved, rejected, …', 'pending')
    .option('--agent <address>')
    .action(async (opts: { status: string; agent?: string }) => {
      const c = ctx();
      const page = await c.client().reviews.list({ status: opts.status as Review['status'], ...(opts.agent ? { agent_address: opts.agent } : {}), limit: 200 });
      c.print(page.items, () =>
        table(
          page.items.map((r) => ({ id: r.id, direction: r.direction, agent: r.agent_address, subject: r.subject, expires_at: r.expires_at, reasons: r.reasons.join('; ') })),
          ['id', 'direction', 'agent', 'subject', 'expires_at', 'reasons'],
        ),
      );
    });
  reviews
    .command('approve <id>')
    .option('--subject <text>', 'change the subject before sending')
    .option('--body <text>', 'replace the text body before sending')
    .option('--note <text>', 'a note kept with the decision')
    .addHelpText('after', '\nExample:\n  e2a reviews approve rev_01… --note "checked the figures"')
    .action(async (id: string, opts: { subject?: string; body?: string; note?: string }) => {
      const c = ctx();
      const review = await c.client().reviews.approve(id, {
        ...(opts.subject !== undefined ? { subject: opts.subject } : {}),
        ...(opts.body !== undefined ? { text: opts.body } : {}),
        ...(opts.note !== undefined ? { note: opts.note } : {}),
      });
      c.print(review, () => `${review.id}: ${review.status}`);
    });
  reviews
    .command('reject <id>')
    .option('--reason <text>', 'why', '')
    .action(async (id: string, opts: { reason: string }) => {
      const c = ctx();
      const review = await c.client().reviews.reject(id, opts.reason);
      c.print(review, () => `${review.id}: ${review.status}`);
    });
}
