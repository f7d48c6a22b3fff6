import type { Agent } from '@e2a/sdk';
import type { Command } from 'commander';
import { table, type Context } from '../context.js';

export function agentCommands(program: Command, ctx: () => Context): void {
  const agents = program.command('agents').description('mailboxes: list, create, get, delete');
  agents.command('list').action(async () => {
    const c = ctx();
    const items: Agent[] = [];
    for await (const a of c.client().agents.iterate()) items.push(a);
    c.print(items, () => table(items, ['address', 'id', 'created_at']));
  });
  agents
    .command('create <name-or-address>')
    .description('bot → bot@<shared domain>; a full address needs a verified domain')
    .option('--display-name <name>')
    .addHelpText('after', '\nExamples:\n  e2a agents create bot\n  e2a agents create support@example.com --display-name "Support"')
    .action(async (name: string, opts: { displayName?: string }) => {
      const c = ctx();
      const body = name.includes('@') ? { address: name } : { local_part: name };
      const agent = await c.client().agents.create({ ...body, ...(opts.displayName ? { display_name: opts.displayName } : {}) });
      c.print(agent, () => `Created ${agent.address}`);
    });
  agents.command('get <address>').action(async (address: string) => {
    const c = ctx();
    const agent = await c.client().agents.get(address);
    c.print(agent, () => table([agent], ['address', 'id', 'display_name', 'created_at']));
  });
  agents
    .command('delete <address>')
    .description('delete the agent and its whole mailbox')
    .action(async (address: string) => {
      const c = ctx();
      await c.client().agents.delete(address);
      c.print({ deleted: address }, () => `Deleted ${address}`);
    });
}
