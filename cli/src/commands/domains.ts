/** domains: claim a custom domain, publish its DNS records, verify it, remove it (account key). */
import type { Domain } from '@e2a/sdk';
import type { Command } from 'commander';
import { table, type Context } from '../context.js';

function records(domain: Domain): string {
  const lines = domain.dns_records.map((r) => ({ type: r.type, name: r.name, value: r.value, purpose: r.purpose }));
  return `${domain.name}: ${domain.verified ? `verified ${domain.verified_at ?? ''}`.trim() : 'not verified'}\nPublish:\n${table(lines, ['type', 'name', 'value', 'purpose'])}`;
}

export function domainCommands(program: Command, ctx: () => Context): void {
  const domains = program
    .command('domains')
    .description('custom domains for agent addresses: add, records to publish, verify, delete (account key)')
    .addHelpText('after', '\nExample:\n  e2a domains add example.com && e2a domains records example.com\n  # publish the records, then:\n  e2a domains verify example.com');
  domains
    .command('list')
    .description('the shared domain, then this account\'s')
    .action(async () => {
    const c = ctx();
    const { items } = await c.client().domains.list();
    c.print(items, () => table(items.map((d) => ({ name: d.name, shared: d.shared, verified: d.verified, verified_at: d.verified_at, created_at: d.created_at })), ['name', 'shared', 'verified', 'verified_at', 'created_at']));
  });
  domains
    .command('add <name>')
    .description('claim a domain and show the DNS records to publish')
    .action(async (name: string) => {
      const c = ctx();
      const domain = await c.client().domains.create({ name });
      c.print(domain, () => `Claimed ${domain.name}.\n${records(domain)}\nThen run: e2a domains verify ${domain.name}`);
    });
  domains
    .command('records <name>')
    .description('the DNS records to publish for a domain (the DKIM key once verified)')
    .action(async (name: string) => {
      const c = ctx();
      const domain = await c.client().domains.get(name);
      c.print(domain.dns_records, () => records(domain));
    });
  domains
    .command('verify <name>')
    .description('check the ownership TXT record now')
    .action(async (name: string) => {
      const c = ctx();
      const domain = await c.client().domains.verify(name);
      c.print(domain, () => `${domain.name} is verified; agents can now be created on it.\n${records(domain)}`);
    });
  domains
    .command('delete <name>')
    .description('remove a domain that has no agents')
    .action(async (name: string) => {
      const c = ctx();
      await c.client().domains.delete(name);
      c.print({ deleted: name }, () => `Deleted ${name}`);
    });
}
