/** contacts request|list|approve|revoke: double opt-in grants for the inbound gate's contacts policy (docs/CONTACTS.md). */
import type { Contact } from '@e2a/sdk';
import { CONTACT_DIRECTIONS, CONTACT_STATES } from '@e2a/sdk/values';
import { Option, type Command } from 'commander';
import { table, type Context } from '../context.js';

function row(c: Contact) {
  return { id: c.id, direction: c.direction, peer: c.peer_address, state: c.state, expires: c.expires_at ?? '-', note: c.note ?? '' };
}

export function contactCommands(program: Command, ctx: () => Context): void {
  const contacts = program.command('contacts').description('contacts: who may write to an agent past a contacts-only inbound gate (docs/CONTACTS.md)');
  contacts
    .command('request <address>')
    .description('ask to become contacts with an address; prints a code to give the other side out of band')
    .option('--agent <address>', 'the requesting agent')
    .option('--note <text>', 'shown to whoever approves')
    .option('--expires-at <time>', 'when the grant ends once approved (RFC 3339)')
    .addHelpText('after', '\nExamples:\n  e2a contacts request partner@agents.example.com --agent bot@agents.example.com --note "Invoice bot of ACME"')
    .action(async (address: string, opts: { agent?: string; note?: string; expiresAt?: string }) => {
      const c = ctx();
      const result = await c.client().contacts.request(c.agent(opts.agent), { address, ...(opts.note ? { note: opts.note } : {}), ...(opts.expiresAt ? { expires_at: opts.expiresAt } : {}) });
      c.print(result, () => `Request ${result.id} is pending.\nCode: ${result.code} (until ${result.code_expires_at})\nGive it to the other side's owner out of band; they run: e2a contacts approve ${result.id} --code ${result.code}`);
    });
  contacts
    .command('list')
    .option('--agent <address>')
    .addOption(new Option('--state <state>').choices(CONTACT_STATES))
    .addOption(new Option('--direction <direction>').choices(CONTACT_DIRECTIONS))
    .action(async (opts: { agent?: string; state?: Contact['state']; direction?: Contact['direction'] }) => {
      const c = ctx();
      const list = await c.client().contacts.list(c.agent(opts.agent), { ...(opts.state ? { state: opts.state } : {}), ...(opts.direction ? { direction: opts.direction } : {}) });
      c.print(list, () => table(list.items.map(row), ['id', 'direction', 'peer', 'state', 'expires', 'note']));
    });
  contacts
    .command('approve <id>')
    .description('approve a request: with an agent key, --code is required; an account key may leave it out')
    .option('--agent <address>', 'the agent the request was made of')
    .option('--code <code>', 'the code the requester gave you')
    .action(async (id: string, opts: { agent?: string; code?: string }) => {
      const c = ctx();
      const contact = await c.client().contacts.approve(c.agent(opts.agent), id, opts.code ? { code: opts.code } : {});
      c.print(contact, () => `Contact ${contact.id} with ${contact.peer_address} is ${contact.state}`);
    });
  contacts
    .command('revoke <id>')
    .description('revoke a contact or withdraw a request (either side)')
    .option('--agent <address>')
    .action(async (id: string, opts: { agent?: string }) => {
      const c = ctx();
      await c.client().contacts.revoke(c.agent(opts.agent), id);
      c.print({ revoked: id }, () => `Revoked contact ${id}`);
    });
}
