/** `e2a conversations`: an agent's conversations (threads). The id is a message's `conversation_id`. */
import type { Conversation } from '@e2a/sdk';
import type { Command } from 'commander';
import { table, type Context } from '../context.js';
import { collect } from '../repeatable.js';
import { firstItems, limitOption, pageSize } from '../values.js';
import { conversationLabelCommand } from './labels.js';

export function conversationCommands(program: Command, ctx: () => Context): void {
  const conversations = program
    .command('conversations')
    .description("an agent's conversations; a conversation's id is the conversation_id of its messages (e2a messages list --json)");
  conversations
    .command('list', { isDefault: true })
    .description('conversations, most recently active first')
    .option('--agent <address>')
    .option('--label <label>', 'only conversations with this label (repeatable: all of them)', collect)
    .option('--limit <n>', 'at most this many', limitOption(10_000), 20)
    .addHelpText('after', '\nExamples:\n  e2a conversations --agent bot@agents.example.com\n  e2a conversations list --label finance --label unread')
    .action(async (opts: { agent?: string; label?: string[]; limit: number }) => {
      const c = ctx();
      const items = await firstItems(c.client().conversations.iterate(c.agent(opts.agent), { limit: pageSize(opts.limit), ...(opts.label ? { label: opts.label } : {}) }), opts.limit);
      c.print(items, () => conversationTable(items));
    });
  conversations
    .command('get <id>')
    .description('a conversation with its messages, oldest first')
    .option('--agent <address>')
    .action(async (id: string, opts: { agent?: string }) => {
      const c = ctx();
      const conv = await c.client().conversations.get(c.agent(opts.agent), id);
      c.print(conv, () =>
        [
          conversationTable([conv]),
          '',
          table(
            conv.messages.map((m) => ({ id: m.id, direction: m.direction, from: m.from?.address, subject: m.subject, received_at: m.received_at })),
            ['id', 'direction', 'from', 'subject', 'received_at'],
          ),
        ].join('\n'),
      );
    });
  conversationLabelCommand(conversations, ctx);
}

function conversationTable(items: Conversation[]): string {
  return table(
    items.map((conv) => ({ id: conv.id, subject: conv.subject, messages: conv.message_count, last_message_at: conv.last_message_at, labels: conv.labels.join(',') })),
    ['id', 'subject', 'messages', 'last_message_at', 'labels'],
  );
}
