/** outbox: mail the gateway captured instead of sending (outbound_smtp.mode outbox, the development default). */
import type { Command } from 'commander';
import { table, type Context } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { CliError } from '../failure.js';
import { firstItems, limitOption, pageSize } from '../values.js';
import { openInBrowser } from '../open-browser.js';

/** The review pages' magic links come first; otherwise the first URL in the message. */
export function firstLink(links: string[]): string | undefined {
  return links.find((l) => /\/review\/[^/]+$/.test(new URL(l).pathname)) ?? links[0];
}

export function outboxCommands(program: Command, ctx: () => Context): void {
  const outbox = program
    .command('outbox')
    .description('mail captured instead of sent when the gateway has no outbound route (development; account key)')
    .addHelpText('after', '\nExamples:\n  e2a outbox list\n  e2a outbox show obx_01…\n  e2a outbox open-link obx_01… --open');
  outbox
    .command('list')
    .description('captured mail of this account, newest first')
    .option('--limit <n>', 'at most this many', limitOption(10_000), 20)
    .action(async (opts: { limit: number }) => {
      const c = ctx();
      const items = await firstItems(c.client().outbox.iterate({ limit: pageSize(opts.limit) }), opts.limit);
      c.print(items, () =>
        table(
          items.map((m) => ({ id: m.id, from: m.mail_from, to: m.recipients.join(', '), subject: m.subject, source: m.source, created_at: m.created_at })),
          ['id', 'from', 'to', 'subject', 'source', 'created_at'],
        ),
      );
    });
  outbox
    .command('show <id>')
    .description('one captured mail: headers, text and links (--raw: the message as it would have left)')
    .option('--raw', 'print the raw RFC 5322 message')
    .action(async (id: string, opts: { raw?: boolean }) => {
      const c = ctx();
      if (opts.raw) {
        process.stdout.write(await c.client().outbox.raw(id));
        return;
      }
      const m = await c.client().outbox.get(id);
      c.print(m, () =>
        [
          `From:     ${m.mail_from}`,
          `To:       ${m.recipients.join(', ')}`,
          `Subject:  ${m.subject}`,
          `Captured: ${m.created_at} (${m.source} ${m.source_id})`,
          '',
          m.text ?? '(no text part)',
          ...(m.links.length > 0 ? ['', 'Links:', ...m.links.map((l) => `  ${l}`)] : []),
        ].join('\n'),
      );
    });
  outbox
    .command('open-link <id>')
    .description('print the first magic link (a review page) or URL in a captured mail; --open opens it')
    .option('--open', 'also open it in the default browser')
    .action(async (id: string, opts: { open?: boolean }) => {
      const c = ctx();
      const m = await c.client().outbox.get(id);
      const link = firstLink(m.links);
      if (!link) throw new CliError(`${id} has no link in it; \`e2a outbox show ${id}\` shows the whole mail`, EXIT.notFound);
      c.print({ id, link }, () => link);
      if (opts.open) await openInBrowser(link);
    });
}
