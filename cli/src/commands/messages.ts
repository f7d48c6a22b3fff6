import type { MessagePriority } from '@e2a/sdk';
import { Option, type Command } from 'commander';
import { table, type Context } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { CliError } from '../failure.js';
import { firstItems, limitOption, pageSize, PRIORITY_CHOICES } from '../values.js';
import { collect } from '../repeatable.js';
import { messageLabelCommand } from './labels.js';

/** A snippet for a terminal: the API's is HTML-escaped with <mark>…</mark> (docs/SEARCH.md); here the marks are *…*. */
function snippetText(snippet: string): string {
  return snippet
    .replace(/<\/?mark>/g, '*')
    .replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!);
}

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
    .option('--trash', 'the trash instead: deleted messages not yet purged')
    .option('--label <label>', 'only messages with this label (repeatable: all of them)', collect)
    .option('--limit <n>', 'at most this many', limitOption(10_000), 20)
    .addHelpText('after', '\nExamples:\n  e2a messages list --agent bot@agents.example.com --unread\n  e2a messages list --unread --priority urgent\n  e2a messages list --trash')
    .action(async (opts: { agent?: string; unread?: boolean; from?: string; subject?: string; conversation?: string; priority?: MessagePriority; trash?: boolean; label?: string[]; limit: number }) => {
      const c = ctx();
      const pages = c.client().messages.iterate(c.agent(opts.agent), {
        limit: pageSize(opts.limit),
        ...(opts.unread ? { unread: true } : {}),
        ...(opts.from ? { from: opts.from } : {}),
        ...(opts.subject ? { subject_contains: opts.subject } : {}),
        ...(opts.conversation ? { conversation_id: opts.conversation } : {}),
        ...(opts.priority ? { priority: opts.priority } : {}),
        ...(opts.trash ? { in: 'trash' as const } : {}),
        ...(opts.label ? { label: opts.label } : {}),
      });
      const items = await firstItems(pages, opts.limit);
      c.print(items, () =>
        table(
          items.map((m) => ({ id: m.id, from: m.from?.address, subject: m.subject, priority: m.priority, verified: m.verified, received_at: m.received_at, labels: m.labels.join(',') })),
          ['id', 'from', 'subject', 'priority', 'verified', 'received_at', 'labels'],
        ),
      );
    });
  messages
    .command('delete <id>')
    .description('move a message to the trash; it can be restored until the trash is purged (e2a retention show)')
    .option('--agent <address>')
    .action(async (id: string, opts: { agent?: string }) => {
      const c = ctx();
      await c.client().messages.delete(c.agent(opts.agent), id);
      c.print({ id, trashed: true }, () => `Moved ${id} to the trash; e2a messages restore ${id} brings it back`);
    });
  messages
    .command('restore <id>')
    .description('take a message out of the trash')
    .option('--agent <address>')
    .action(async (id: string, opts: { agent?: string }) => {
      const c = ctx();
      const m = await c.client().messages.restore(c.agent(opts.agent), id);
      c.print(m, () => `Restored ${m.id} (${m.subject ?? 'no subject'})`);
    });
  messages
    .command('search <q>')
    .description('full-text search, best match first: one mailbox, or with --all every mailbox the key may read')
    .option('--agent <address>')
    .option('--all', 'every mailbox the key may read (an agent key: its own)')
    .addOption(new Option('--direction <direction>').choices(['inbound', 'outbound']))
    .option('--from <address>')
    .option('--unread', 'only unread')
    .option('--limit <n>', 'at most this many', limitOption(1000), 20)
    .addHelpText('after', '\nq is web-search style: words, "a phrase", -excluded, or.\n\nExamples:\n  e2a messages search invoice --agent bot@agents.example.com\n  e2a messages search \'"quarterly report" -draft\' --all')
    .action(async (q: string, opts: { agent?: string; all?: boolean; direction?: 'inbound' | 'outbound'; from?: string; unread?: boolean; limit: number }) => {
      const c = ctx();
      if (opts.all && opts.agent) throw new CliError('pass --agent or --all, not both', EXIT.usage);
      const params = {
        limit: pageSize(opts.limit),
        ...(opts.direction ? { direction: opts.direction } : {}),
        ...(opts.from ? { from: opts.from } : {}),
        ...(opts.unread ? { unread: true } : {}),
      };
      const client = c.client();
      const hits = opts.all ? client.search.iterate(q, params) : client.messages.iterateSearch(c.agent(opts.agent), q, params);
      const items = await firstItems(hits, opts.limit);
      c.print(items, () =>
        table(
          items.map((m) => ({ id: m.id, ...(opts.all ? { agent: m.agent_address } : {}), from: m.from?.address, subject: m.subject, snippet: snippetText(m.match.snippet), received_at: m.received_at })),
          ['id', ...(opts.all ? ['agent'] : []), 'from', 'subject', 'snippet', 'received_at'],
        ),
      );
    });
  messages
    .command('get <id>')
    .option('--agent <address>')
    .option('--reply-only', 'only what the message adds: quoted history and signature left out')
    .action(async (id: string, opts: { agent?: string; replyOnly?: boolean }) => {
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
          ...(m.deleted_at ? [`Trashed:  ${m.deleted_at} (e2a messages restore ${m.id})`] : []),
          '',
          (opts.replyOnly ? (m.extracted_text ?? m.text) : m.text) ?? '(no text part)',
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
  messageLabelCommand(messages, ctx);
  messages
    .command('cancel <id>')
    .description('cancel a message sent with --at before its time (it is then never sent)')
    .option('--agent <address>')
    .action(async (id: string, opts: { agent?: string }) => {
      const c = ctx();
      const result = await c.client().messages.cancel(c.agent(opts.agent), id);
      c.print(result, () => `${result.status}: ${result.id}`);
    });
}
