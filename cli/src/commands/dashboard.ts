/** dashboard: a one-time sign-in link for the web dashboard (account key), printed and optionally opened. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { openInBrowser } from '../open-browser.js';

export function dashboardCommand(program: Command, ctx: () => Context): void {
  program
    .command('dashboard')
    .description('print a one-time link that signs a browser in to the web dashboard (account key); --open opens it')
    .option('--open', 'also open it in the default browser')
    .addHelpText('after', '\nThe link works once, within dashboard.sign_in_link_ttl_minutes (15 by default).\n\nExamples:\n  e2a dashboard\n  e2a dashboard --open')
    .action(async (opts: { open?: boolean }) => {
      const c = ctx();
      const link = await c.client().signInLinks.create();
      c.print(link, () => `${link.url}\n(signs a browser in once, until ${link.expires_at})`);
      if (opts.open) await openInBrowser(link.url);
    });
}
