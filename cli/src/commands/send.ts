/** send and reply: mail out as an agent, now or `--at` a time. Exit 3 when the message waits for a reviewer. */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { MessagePriority, SendResult } from '@e2a/sdk';
import { Option, type Command } from 'commander';
import type { Context } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { CliError } from '../failure.js';
import { collect } from '../repeatable.js';
import { PRIORITY_CHOICES, secondsOption, sendAtOption } from '../values.js';

export function readText(path: string | undefined, what: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
  }
}

export function attachments(paths: string[]) {
  return paths.map((path) => {
    try {
      return { filename: basename(path), content: readFileSync(path).toString('base64') };
    } catch (err) {
      throw new CliError(`cannot read attachment ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
    }
  });
}

/** Prints the outcome and turns it into the exit code of the table. */
export function finish(ctx: Context, result: SendResult, waited: boolean): void {
  ctx.print(result, () => {
    const lines = [`${result.status}: ${result.id}`];
    if (result.status === 'pending_review') lines.push(`Held for review until ${result.approval_expires_at} (review ${result.review_id}).`);
    if (result.send_at) lines.push(`Sends at ${result.send_at}${result.status === 'scheduled' ? `; \`e2a messages cancel ${result.id}\` stops it until then` : ''}.`);
    if (result.reason) lines.push(`Reason: ${result.reason}`);
    return lines.join('\n');
  });
  if (result.status === 'pending_review') throw new CliError('', EXIT.heldForReview);
  if (result.status === 'failed' || result.status === 'rejected') throw new CliError('', EXIT.notFound);
  if (waited && result.status === 'accepted') throw new CliError(`still queued when --timeout ran out; \`e2a messages get ${result.id}\` shows its status later`, EXIT.timeout);
}

interface BodyOptions {
  body?: string;
  bodyFile?: string;
  htmlFile?: string;
  attach: string[];
  idempotencyKey?: string;
  wait?: boolean;
  timeout: number;
  priority?: MessagePriority;
  at?: string;
}

function bodyOf(opts: BodyOptions) {
  const text = opts.body ?? readText(opts.bodyFile, 'body file');
  const html = readText(opts.htmlFile, 'HTML file');
  if (text === undefined && html === undefined) throw new CliError('give a body: --body TEXT, --body-file PATH (- for stdin) or --html-file PATH', EXIT.usage);
  return {
    ...(text !== undefined ? { text } : {}),
    ...(html !== undefined ? { html } : {}),
    attachments: attachments(opts.attach),
    ...(opts.priority ? { priority: opts.priority } : {}),
    ...(opts.at ? { send_at: opts.at } : {}),
  };
}

export function sendOptions(opts: BodyOptions) {
  return { ...(opts.idempotencyKey ? { idempotencyKey: opts.idempotencyKey } : {}), wait: Boolean(opts.wait), timeoutSeconds: opts.timeout };
}

function bodyFlags(cmd: Command): Command {
  return cmd
    .option('--body <text>', 'plain-text body')
    .option('--body-file <path>', 'plain-text body from a file (- for stdin)')
    .option('--html-file <path>', 'HTML body from a file')
    .option('--attach <path>', 'attach a file (repeatable)', collect, [])
    .addOption(new Option('--priority <priority>', 'urgent or low set Priority, Importance and X-Priority on the mail (default normal: none)').choices(PRIORITY_CHOICES))
    .option('--at <time>', 'send at this time instead of now: RFC 3339 (2026-07-01T09:00:00+02:00) or a delay (+30m, +2h, +1d)', sendAtOption)
    .option('--idempotency-key <key>', 'repeat-safe key (a retry with the same key sends once)')
    .option('--wait', 'wait until the message is sent or failed')
    .option('--timeout <seconds>', 'with --wait, give up after this long', secondsOption, 30);
}

export function sendCommands(program: Command, ctx: () => Context): void {
  bodyFlags(
    program
      .command('send')
      .description('send mail as an agent')
      .option('--agent <address>', 'the sending agent')
      .option('--to <address>', 'recipient (repeatable)', collect, [])
      .option('--cc <address>', 'copy (repeatable)', collect, [])
      .option('--bcc <address>', 'blind copy (repeatable)', collect, [])
      .option('--subject <text>', 'subject', '')
      .option('--reply-to <address>', 'Reply-To (repeatable)', collect, [])
      .option('--conversation-id <id>', 'thread it into this conversation'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  e2a send --agent bot@agents.example.com --to alice@example.com --subject Hi --body "Hello"\n  e2a send --to a@example.com --subject Report --body-file report.txt --attach report.pdf --wait\n  e2a send --to a@example.com --subject Reminder --body "Stand-up in 10" --at 2026-07-01T08:50:00Z',
    )
    .action(async (opts: BodyOptions & { agent?: string; to: string[]; cc: string[]; bcc: string[]; subject: string; replyTo: string[]; conversationId?: string }) => {
      const c = ctx();
      if (opts.to.length + opts.cc.length + opts.bcc.length === 0) throw new CliError('give at least one recipient with --to', EXIT.usage);
      const result = await c.client().messages.send(
        c.agent(opts.agent),
        {
          to: opts.to,
          cc: opts.cc,
          bcc: opts.bcc,
          subject: opts.subject,
          ...bodyOf(opts),
          ...(opts.replyTo.length ? { reply_to: opts.replyTo } : {}),
          ...(opts.conversationId ? { conversation_id: opts.conversationId } : {}),
        },
        sendOptions(opts),
      );
      finish(c, result, Boolean(opts.wait));
    });

  bodyFlags(
    program
      .command('reply <message-id>')
      .description('reply to a received message (threads it)')
      .option('--agent <address>', 'the replying agent')
      .option('--all', 'reply to all recipients'),
  )
    .addHelpText('after', '\nExample:\n  e2a reply msg_01… --body "Thanks, on it."')
    .action(async (id: string, opts: BodyOptions & { agent?: string; all?: boolean }) => {
      const c = ctx();
      const result = await c.client().messages.reply(c.agent(opts.agent), id, { reply_all: Boolean(opts.all), ...bodyOf(opts) }, sendOptions(opts));
      finish(c, result, Boolean(opts.wait));
    });
}
