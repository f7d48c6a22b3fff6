import type { Command } from 'commander';
import { table, type Context } from '../context.js';

export function keyCommands(program: Command, ctx: () => Context): void {
  const keys = program.command('keys').description('API keys: list, create, revoke');
  keys.command('list').action(async () => {
    const c = ctx();
    const page = await c.client().apiKeys.list({ limit: 200 });
    c.print(page.items, () => table(page.items, ['id', 'name', 'prefix', 'scope', 'agent_address', 'revoked_at']));
  });
  keys
    .command('create')
    .option('--name <name>', 'a label', '')
    .option('--agent <address>', 'limit the key to one agent')
    .addHelpText('after', '\nExample:\n  e2a keys create --name ci --agent bot@agents.example.com')
    .action(async (opts: { name: string; agent?: string }) => {
      const c = ctx();
      const created = await c
        .client()
        .apiKeys.create(opts.agent ? { name: opts.name, scope: 'agent', agent_address: opts.agent } : { name: opts.name, scope: 'account' });
      c.print(created, () => `API key: ${created.key}\n(shown once; id ${created.id})`);
    });
  keys.command('revoke <id>').action(async (id: string) => {
    const c = ctx();
    await c.client().apiKeys.revoke(id);
    c.print({ revoked: id }, () => `Revoked ${id}`);
  });
}
