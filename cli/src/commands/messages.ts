import type { MessagePriority, MessageSummary } from '@e2a/sdk';
import { Option, type Command } from 'commander';
import { table, type Context } from '../context.js';
import { limitOption, PRIORITY_CHOICES } from '../values.js';

export function messageCommands(program: Command, ctx: () => Context): void {
  const messages = program.command('messages').description("read an agent's mailbox");
  messages
    .command('list')
    .option('--agent <address>')
    .option('--unread', 'only unread')
    .option('--from <address>')
    .option('--subject <text>', 'subject contains')
    .option('--conversation <id>')
    .addOption(new Option('--priority <priority>', "only this priority (inbound: the sender's claim)").choices(PRIORITY_CHOICES))
    .option('--limit <n>', 'at most this many', limitOption(10_000), 20)
    .addHelpText('after', '\nExamples:\n  e2a messages list --agent bot@agents.example.com --unread\n  e2a messages list --unread --priority urgent')
    .action(async (opts: { agent?: string; unread?: boolean; from?: string; subject?: string; conversation?: string; priority?: MessagePriority; limit: number }) => {
      const c = ctx();
      const limit = opts.limit;
      const items: MessageSummary[] = [];
      for await (const m of c.client().messages.iterate(c.agent(opts.agent), {
        limit: Math.min(limit, 200),
        ...(opts.unread ? { unread: true } : {}),
        ...(opts.from ? { from: opts.from } : {}),
        ...(opts.subject ? { subject_contains: opts.subject } : {}),
        ...(opts.conversation ? { conversation_id: opts.conversation } : {}),
        ...(opts.priority ? { priority: opts.priority } : {}),
      })) {
        items.push(m);
        if (items.length >= limit) break;
      }
      c.print(items, () =>
        table(
          items.map((m) => ({ id: m.id, from: m.from?.address, subject: m.subject, priority: m.priority, verified: m.verified, received_at: m.received_at })),
          ['id', 'from', 'subject', 'priority', 'verified', 'received_at'],
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
          // The sender's claim inbound (docs/PRIORITIES.md); normal goes unsaid.
          ...(m.priority !== 'normal' ? [`Priority: ${m.priority}${m.direction === 'inbound' ? ' (as the sender marked it; not verified)' : ''}`] : []),
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
