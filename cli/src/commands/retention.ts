/** retention: how long the account keeps mail (docs/RETENTION.md); an agent's own is `e2a agents update --retention-days`. */
import type { AccountRetention } from '@e2a/sdk';
import { InvalidArgumentError, type Command } from 'commander';
import type { Context } from '../context.js';

/**
 * `--retention-days` and `e2a retention set`: whole days, `forever`, or (for an agent) `account`
 * to follow the account's setting. The server checks the upper bound. `forever` stays a word here
 * (commander turns an option parser's null into ''); `retentionDays` makes it the API's null.
 */
export function retentionValue(allowAccount: boolean): (text: string) => number | 'forever' | 'account' {
  return (text) => {
    const value = text.trim().toLowerCase();
    if (value === 'forever' || (allowAccount && value === 'account')) return value;
    if (/^\d+$/.test(value) && Number(value) >= 1) return Number(value);
    throw new InvalidArgumentError(`expected a number of days (1 or more) or forever${allowAccount ? ", or account to follow the account's setting" : ''}, e.g. 90`);
  };
}

/** The API's value for a parsed `retentionValue`: `forever` is null. */
export function retentionDays<T extends number | 'forever' | 'account'>(value: T): Exclude<T, 'forever'> | null {
  return value === 'forever' ? null : (value as Exclude<T, 'forever'>);
}

function describe(r: AccountRetention): string {
  const kept = r.retention_days === null ? 'Mail is kept forever' : `Mail goes to the trash ${r.retention_days} day(s) after it arrives`;
  return `${kept}; the trash can be restored from for ${r.trash_days} day(s), then it is purged. Agents with a setting of their own (e2a agents update --retention-days) follow theirs.`;
}

export function retentionCommands(program: Command, ctx: () => Context): void {
  const retention = program.command('retention').description("how long the account keeps mail before it goes to the trash");
  retention
    .command('show')
    .description("the account's retention period and the server's restore period")
    .action(async () => {
      const c = ctx();
      const r = await c.client().account.retention();
      c.print(r, () => describe(r));
    });
  retention
    .command('set')
    .description('keep mail this many days (then trash it), or forever; account keys only')
    .argument('<days>', 'whole days, or forever', retentionValue(false))
    .addHelpText('after', '\nExamples:\n  e2a retention set 90\n  e2a retention set forever')
    .action(async (days: number | 'forever') => {
      const c = ctx();
      const r = await c.client().account.setRetention(retentionDays(days));
      c.print(r, () => describe(r));
    });
}
