import type { Agent } from '@e2a/sdk';
import type { Command } from 'commander';
import { table, type Context } from '../context.js';
import { ttlOption } from '../values.js';
import { retentionDays, retentionValue } from './retention.js';
import { confirmation, scheduledText } from './account-data.js';

export function agentCommands(program: Command, ctx: () => Context): void {
  const agents = program.command('agents').description('mailboxes: list, create, get, update, extend, delete');
  agents.command('list').action(async () => {
    const c = ctx();
    const items: Agent[] = [];
    for await (const a of c.client().agents.iterate()) items.push(a);
    c.print(items, () => table(items, ['address', 'id', 'created_at', 'expires_at']));
  });
  agents
    .command('create <name-or-address>')
    .description('bot → bot@<shared domain>; a full address needs a verified domain')
    .option('--display-name <name>')
    .option('--ttl <duration>', 'an ephemeral inbox: it and its mail are deleted this long from now (e.g. 1h, 7d)', ttlOption)
    .addHelpText('after', '\nExamples:\n  e2a agents create bot\n  e2a agents create support@example.com --display-name "Support"\n  e2a agents create signup-check --ttl 1h')
    .action(async (name: string, opts: { displayName?: string; ttl?: number }) => {
      const c = ctx();
      const body = name.includes('@') ? { address: name } : { local_part: name };
      const agent = await c.client().agents.create({ ...body, ...(opts.displayName ? { display_name: opts.displayName } : {}), ...(opts.ttl !== undefined ? { ttl_seconds: opts.ttl } : {}) });
      c.print(agent, () => (agent.expires_at ? `Created ${agent.address} (expires ${agent.expires_at})` : `Created ${agent.address}`));
    });
  agents
    .command('extend <address>')
    .description('set a new expiry for an ephemeral agent, counted from now')
    .requiredOption('--ttl <duration>', 'how long from now until it expires (e.g. 1h, 1d)', ttlOption)
    .addHelpText('after', '\nExamples:\n  e2a agents extend signup-check@agents.localhost --ttl 1d')
    .action(async (address: string, opts: { ttl: number }) => {
      const c = ctx();
      const agent = await c.client().agents.extend(address, { ttl_seconds: opts.ttl });
      c.print(agent, () => `${agent.address} now expires ${agent.expires_at}`);
    });
  agents
    .command('update <address>')
    .description("change an agent's settings (account keys only)")
    .requiredOption('--retention-days <days>', "days its mail is kept before it goes to the trash, forever, or account (the account's setting)", retentionValue(true))
    .addHelpText('after', '\nExamples:\n  e2a agents update bot@agents.example.com --retention-days 30\n  e2a agents update bot@agents.example.com --retention-days forever\n  e2a agents update bot@agents.example.com --retention-days account')
    .action(async (address: string, opts: { retentionDays: number | 'forever' | 'account' }) => {
      const c = ctx();
      const agent = await c.client().agents.update(address, { retention_days: retentionDays(opts.retentionDays) });
      const kept = agent.retention_days === 'account' ? "as the account's setting says" : agent.retention_days === null ? 'forever' : `${agent.retention_days} day(s)`;
      c.print(agent, () => `${agent.address} keeps its mail ${kept}`);
    });
  agents.command('get <address>').action(async (address: string) => {
    const c = ctx();
    const agent = await c.client().agents.get(address);
    c.print(agent, () => table([agent], ['address', 'id', 'display_name', 'created_at', 'expires_at']));
  });
  agents
    .command('delete <address>')
    .description('delete the agent and everything of it: disabled now, erased after the grace period; or --cancel that')
    .option('--confirm <address>', 'the same address again (asked for on a terminal when omitted)')
    .option('--cancel <erasure-id>', "cancel the agent's deletion during its grace period")
    .addHelpText('after', '\nExamples:\n  e2a agents delete bot@agents.example.com --confirm bot@agents.example.com\n  e2a agents delete bot@agents.example.com --cancel era_01j…')
    .action(async (address: string, opts: { confirm?: string; cancel?: string }) => {
      const c = ctx();
      if (opts.cancel) {
        const erasure = await c.client().account.cancelErasure(opts.cancel);
        c.print(erasure, () => `Cancelled: ${erasure.target ?? address} is restored.`);
        return;
      }
      const confirm = await confirmation(`the agent ${address}`, address, opts.confirm);
      const erasure = await c.client().agents.delete(address, { confirm });
      c.print(erasure, () => scheduledText(erasure, `To cancel before then: e2a agents delete ${address} --cancel ${erasure.id}`));
    });
}
