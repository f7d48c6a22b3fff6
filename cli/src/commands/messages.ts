import type { MessageSummary } from '@e2a/sdk';
import type { Command } from 'commander';
import { table, type Context } from '../context.js';
import { limitOption } from '../values.js';

export function messageCommands(program: Command, ctx: () => Context): void {
  const messages = program.command('messages').description("read an agent's mailbox");
  messages
    .command('list')
    .option('--agent <address>')
    .option('--unread', 'only unread')
    .option('--from <address>')
    .option('--subject <text>', 'subject contains')
    .option('--conversation <id>')
    .option('--limit <n>', 'at most this many', limitOption(10_000), 20)
    .addHelpText('after', '\nExample:\n  e2a messages list --agent bot@agents.example.com --unread')
    .action(async (opts: { agent?: string; unread?: boolean; from?: string; subject?: string; conversation?: string; limit: number }) => {
      const c = ctx();
      const limit = opts.limit;
      const items: MessageSummary[] = [];
      for await (const m of c.client().messages.iterate(c.agent(opts.agent), {
        limit: Math.min(limit, 200),
        ...(opts.unread ? { unread: true } : {}),
        ...(opts.from ? { from: opts.from } : {}),
        ...(opts.subject ? { subject_contains: opts.subject } : {}),
        ...(opts.conversation ? { conversation_id: opts.conversation } : {}),
      })) {
        items.push(m);
        if (items.length >= limit) break;
      }
      c.print(items, () =>
        table(
          items.map((m) => ({ id: m.id, from: m.from?.address, subject: m.subject, verified: m.verified, received_at: m.received_at })),
          ['id', 'from', 'subject', 'verified', 'received_at'],
        ),
      );
    });
  messages
    .command('get <id>')
    .option('--agent <address>')
    .action(async (id: string, opts: { agent?: string }) => {
      const c = ctx();
      const m = await c.client().messages.get(c.agent(opts.agent), id);
      c.print(m, () =>
        [
          `From:     ${m.from?.name ? `${m.from.name} <${m.from.address}>` : (m.from?.address ?? '')}`,
          `Subject:  ${m.subject ?? ''}`,
          `Date:     ${m.received_at}`,
          `Verified: ${m.verified} (spf ${m.authentication?.spf.status}, dmarc ${m.authentication?.dmarc.status})`,
          '',
          m.text ?? '(no text part)',
        ].join('\n'),
      );
    });
  messages
    .command('raw <id>')
    .description('the stored message with signed X-E2A-Auth-* headers, as bytes')
    .option('--agent <address>')
    .action(async (id: string, opts: { agent?: string }) => {
      const c = ctx();
      process.stdout.write(await c.client().messages.raw(c.agent(opts.agent), id));
    });
}
