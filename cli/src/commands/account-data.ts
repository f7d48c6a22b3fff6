/**
 * `e2a account export|delete|erasures`: the account's data, carried away or erased (docs/DATA.md),
 * and the confirmation both deletions ask for (`e2a agents delete` uses it too).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AccountExport, Erasure, ScheduledErasure } from '@e2a/sdk';
import type { Command } from 'commander';
import { table, type Context } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { CliError } from '../failure.js';

/** How often `account export` asks for progress. */
const POLL_MS = 1000;

/**
 * The confirmation a deletion needs: `--confirm`, or typed at the terminal. Without a terminal the
 * flag is required, so a script never deletes by accident of an empty stdin.
 */
export async function confirmation(what: string, expected: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  if (!process.stdin.isTTY) throw new CliError(`deleting ${what} needs --confirm ${expected}`, EXIT.usage);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(`This deletes ${what} and everything of it once the grace period ends. Type ${expected} to confirm: `)).trim();
  } finally {
    rl.close();
  }
}

/** What a scheduled deletion says, with the way back. */
export function scheduledText(erasure: ScheduledErasure | Erasure, cancelHint: string): string {
  const lines = [`${erasure.target} is disabled and will be erased at ${erasure.erase_after} (erasure ${erasure.id}).`];
  if ('cancel_token' in erasure && erasure.cancel_token) {
    lines.push(`To cancel before then: e2a account delete --cancel ${erasure.id} --token ${erasure.cancel_token}`);
  } else lines.push(cancelHint);
  return lines.join('\n');
}

function erasureRows(items: Erasure[]) {
  return items.map((e) => ({ id: e.id, scope: e.scope, target: e.target ?? '', status: e.status, erase_after: e.erase_after, rows: Object.values(e.erased).reduce((n, v) => n + v, 0) }));
}

export function accountDataCommands(program: Command, ctx: () => Context): void {
  const account = program.command('account').description("the account's data: export it, delete it (account key)");

  account
    .command('export')
    .description('export everything the account holds as a tar archive (one .eml per message, JSON for the rest)')
    .requiredOption('--out <file>', 'where to write the archive')
    .option('--id <export-id>', 'download an export started earlier instead of starting one')
    .addHelpText('after', '\nExamples:\n  e2a account export --out e2a-export.tar\n  e2a account export --id exp_01j… --out e2a-export.tar')
    .action(async (opts: { out: string; id?: string }) => {
      const c = ctx();
      const client = c.client();
      let job: AccountExport = opts.id ? await client.account.getExport(opts.id) : await client.account.export();
      const progress = process.stderr.isTTY && !c.json;
      while (job.status === 'queued' || job.status === 'running') {
        if (progress) process.stderr.write(`\rexport ${job.id}: ${job.messages_done} of ${job.messages_total} messages`);
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        job = await client.account.getExport(job.id);
      }
      if (progress) process.stderr.write('\n');
      if (job.status !== 'done') throw new CliError(`export ${job.id} is ${job.status}${job.error ? `: ${job.error}` : ''}; start a new one with e2a account export`, EXIT.notFound);
      const response = await client.account.downloadExportStream(job.id);
      // Written beside the target and renamed once whole, so a cut download never looks complete.
      const partial = `${opts.out}.part`;
      try {
        await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), createWriteStream(partial));
        await rename(partial, opts.out);
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
      c.print({ ...job, file: opts.out }, () => `Wrote ${opts.out}: ${job.messages_done} messages, ${job.size_bytes} bytes (export ${job.id}; the server deletes it at ${job.expires_at})`);
    });

  account
    .command('delete')
    .description('delete the account and everything of it: disabled now, erased after the grace period; or --cancel a deletion')
    .option('--confirm <email>', "the account's email (asked for on a terminal when omitted)")
    .option('--cancel <erasure-id>', 'cancel a deletion during its grace period (needs --token)')
    .option('--token <token>', 'the cancel token the deletion answered with (also mailed to the account)')
    .addHelpText('after', '\nExamples:\n  e2a account delete --confirm you@example.com\n  e2a account delete --cancel era_01j… --token …')
    .action(async (opts: { confirm?: string; cancel?: string; token?: string }) => {
      const c = ctx();
      if (opts.cancel) {
        if (!opts.token) throw new CliError('--cancel needs --token (from the deletion’s answer or the mail sent to the account)', EXIT.usage);
        const erasure = await c.client().account.cancelDeletion(opts.cancel, opts.token);
        c.print(erasure, () => `Cancelled: ${erasure.target ?? erasure.id} is restored.`);
        return;
      }
      const info = await c.client().info();
      if (!info.auth) throw new CliError('the server did not recognise the key in use', EXIT.auth);
      const confirm = await confirmation(`the account ${info.auth.email}`, info.auth.email, opts.confirm);
      const erasure = await c.client().account.delete({ confirm });
      c.print(erasure, () => scheduledText(erasure, 'The cancel token was mailed to the account when the deletion was first asked for.'));
    });

  account
    .command('erasures [erasure-id]')
    .description("the account's deletions of agents and what each erased (one: its report, table by table)")
    .action(async (id: string | undefined) => {
      const c = ctx();
      if (id) {
        const erasure = await c.client().account.getErasure(id);
        c.print(erasure, () => [table(erasureRows([erasure]), ['id', 'scope', 'target', 'status', 'erase_after']), '', table(Object.entries(erasure.erased).map(([t, n]) => ({ table: t, rows: n })), ['table', 'rows'])].join('\n'));
        return;
      }
      const page = await c.client().account.listErasures({ limit: 200 });
      c.print(page.items, () => table(erasureRows(page.items), ['id', 'scope', 'target', 'status', 'erase_after', 'rows']));
    });
}
