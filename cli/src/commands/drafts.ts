/**
 * drafts: mail saved to send later. `drafts send` sends one exactly as `e2a send` (or `e2a reply`,
 * for a draft made with --in-reply-to) would, with the same exit codes; `--at` schedules it.
 */
import type { Draft, DraftRequest, MessagePriority } from '@e2a/sdk';
import { Option, type Command } from 'commander';
import { table, type Context } from '../context.js';
import { collect } from '../repeatable.js';
import { firstItems, limitOption, pageSize, PRIORITY_CHOICES, secondsOption, sendAtOption } from '../values.js';
import { attachments, finish, readText } from './send.js';

interface FieldOptions {
  agent?: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject?: string;
  body?: string;
  bodyFile?: string;
  htmlFile?: string;
  attach: string[];
  priority?: MessagePriority;
  at?: string;
  inReplyTo?: string;
  all?: boolean;
}

function fieldFlags(cmd: Command): Command {
  return cmd
    .option('--agent <address>', 'the agent whose draft it is')
    .option('--to <address>', 'recipient (repeatable)', collect, [])
    .option('--cc <address>', 'copy (repeatable)', collect, [])
    .option('--bcc <address>', 'blind copy (repeatable)', collect, [])
    .option('--subject <text>', 'subject')
    .option('--body <text>', 'plain-text body')
    .option('--body-file <path>', 'plain-text body from a file (- for stdin)')
    .option('--html-file <path>', 'HTML body from a file')
    .option('--attach <path>', 'attach a file (repeatable)', collect, [])
    .addOption(new Option('--priority <priority>', 'urgent, normal or low').choices(PRIORITY_CHOICES))
    .option('--at <time>', 'when sent, schedule it for this time: RFC 3339 or a delay (+30m, +2h, +1d)', sendAtOption)
    .option('--in-reply-to <message-id>', 'send it as a reply to this message (threaded)')
    .option('--all', 'with --in-reply-to: reply to all recipients');
}

/** The fields the flags name; the rest are left out (create: defaults; update: kept as they were). */
function fieldsOf(opts: FieldOptions): DraftRequest {
  const text = opts.body ?? readText(opts.bodyFile, 'body file');
  const html = readText(opts.htmlFile, 'HTML file');
  return {
    ...(opts.to.length ? { to: opts.to } : {}),
    ...(opts.cc.length ? { cc: opts.cc } : {}),
    ...(opts.bcc.length ? { bcc: opts.bcc } : {}),
    ...(opts.subject !== undefined ? { subject: opts.subject } : {}),
    ...(text !== undefined ? { text } : {}),
    ...(html !== undefined ? { html } : {}),
    ...(opts.attach.length ? { attachments: attachments(opts.attach) } : {}),
    ...(opts.priority ? { priority: opts.priority } : {}),
    ...(opts.at ? { send_at: opts.at } : {}),
    ...(opts.inReplyTo ? { in_reply_to: opts.inReplyTo } : {}),
    ...(opts.all ? { reply_all: true } : {}),
  };
}

function show(d: Draft): string {
  const list = (xs: Draft['to']) => xs.map((x) => (typeof x === 'string' ? x : x.address)).join(', ');
  return [
    `Draft:    ${d.id}`,
    `To:       ${list(d.to)}`,
    ...(d.cc.length ? [`Cc:       ${list(d.cc)}`] : []),
    ...(d.bcc.length ? [`Bcc:      ${list(d.bcc)}`] : []),
    `Subject:  ${d.subject}`,
    ...(d.in_reply_to ? [`Reply to: ${d.in_reply_to}${d.reply_all ? ' (all)' : ''}`] : []),
    ...(d.send_at ? [`Send at:  ${d.send_at}`] : []),
    ...(d.attachments.length ? [`Attached: ${d.attachments.map((a) => a.filename).join(', ')}`] : []),
    '',
    d.text ?? '(no text part)',
  ].join('\n');
}

export function draftCommands(program: Command, ctx: () => Context): void {
  const drafts = program.command('drafts').description('mail saved to send later (sent exactly as `e2a send` would)');

  fieldFlags(drafts.command('create').description('save a draft; every field is optional'))
    .addHelpText('after', '\nExamples:\n  e2a drafts create --to alice@example.com --subject Plan --body "First thoughts"\n  e2a drafts create --in-reply-to msg_01… --body "Will do" --at +2h')
    .action(async (opts: FieldOptions) => {
      const c = ctx();
      const draft = await c.client().drafts.create(c.agent(opts.agent), fieldsOf(opts));
      c.print(draft, () => show(draft));
    });

  fieldFlags(drafts.command('update <id>').description('change a draft: the flags given replace those fields, the rest stay'))
    .option('--clear-at', 'send at once when sent (drop --at)')
    .action(async (id: string, opts: FieldOptions & { clearAt?: boolean }) => {
      const c = ctx();
      const agent = c.agent(opts.agent);
      // The API replaces a draft whole: read it, change what the flags name, write it back.
      const { id: _id, agent_address: _agent, created_at: _created, updated_at: _updated, ...current } = await c.client().drafts.get(agent, id);
      const { send_at: _at, ...kept } = current;
      const draft = await c.client().drafts.update(agent, id, { ...(opts.clearAt ? kept : current), ...fieldsOf(opts) });
      c.print(draft, () => show(draft));
    });

  drafts
    .command('list')
    .option('--agent <address>')
    .option('--limit <n>', 'at most this many', limitOption(10_000), 50)
    .action(async (opts: { agent?: string; limit: number }) => {
      const c = ctx();
      const items = await firstItems(c.client().drafts.iterate(c.agent(opts.agent), { limit: pageSize(opts.limit) }), opts.limit);
      c.print(items, () =>
        table(
          items.map((d) => ({ id: d.id, to: d.to.map((x) => (typeof x === 'string' ? x : x.address)).join(', '), subject: d.subject, send_at: d.send_at ?? '', updated_at: d.updated_at })),
          ['id', 'to', 'subject', 'send_at', 'updated_at'],
        ),
      );
    });

  drafts
    .command('get <id>')
    .option('--agent <address>')
    .action(async (id: string, opts: { agent?: string }) => {
      const c = ctx();
      const draft = await c.client().drafts.get(c.agent(opts.agent), id);
      c.print(draft, () => show(draft));
    });

  drafts
    .command('delete <id>')
    .option('--agent <address>')
    .action(async (id: string, opts: { agent?: string }) => {
      const c = ctx();
      await c.client().drafts.delete(c.agent(opts.agent), id);
      c.print({ deleted: id }, () => `deleted ${id}`);
    });

  drafts
    .command('send <id>')
    .description('send a draft; once accepted (queued, scheduled or held for review) it is deleted')
    .option('--agent <address>')
    .option('--idempotency-key <key>', 'repeat-safe key (a retry with the same key sends once)')
    .option('--wait', 'wait until the message is sent or failed')
    .option('--timeout <seconds>', 'with --wait, give up after this long', secondsOption, 30)
    .action(async (id: string, opts: { agent?: string; idempotencyKey?: string; wait?: boolean; timeout: number }) => {
      const c = ctx();
      const result = await c.client().drafts.send(c.agent(opts.agent), id, { ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}), wait: Boolean(opts.wait), timeoutSeconds: opts.timeout });
      finish(c, result, Boolean(opts.wait));
    });
}
