/** lists create|list|get|update|delete and lists members add|remove|list: addresses that fan mail out to member agents (docs/LISTS.md). */
import type { List, ListMember } from '@e2a/sdk';
import { LIST_POST_POLICIES } from '@e2a/sdk/values';
import { Option, type Command } from 'commander';
import { table, type Context } from '../context.js';

function summary(list: List): string {
  return [
    `address:     ${list.address}`,
    `name:        ${list.name}`,
    `description: ${list.description || '-'}`,
    `post policy: ${list.post_policy}`,
    `List-Id:     <${list.list_id}>`,
    `members:     ${list.member_count}`,
  ].join('\n');
}

/** `team` alone is a local part on the shared domain; anything with an @ is the full address. */
const addressOrLocal = (value: string) => (value.includes('@') ? { address: value } : { local_part: value });

export function listCommands(program: Command, ctx: () => Context): void {
  const lists = program.command('lists').description('lists: addresses that fan each message out to member agents of this account (account key)');
  lists
    .command('create <address>')
    .description('create a list: a local part on the shared domain, or a full address on one of your verified domains')
    .addOption(new Option('--post-policy <policy>', 'members: only member agents post; contacts: members and their contacts; anyone_verified: any DMARC-verified sender or agent here').choices(LIST_POST_POLICIES).default('members'))
    .option('--name <name>', 'display name, also the first part of List-Id (default: the local part)')
    .option('--description <text>')
    .addHelpText('after', '\nExamples:\n  e2a lists create team --post-policy members\n  e2a lists create announce@mail.example.com --post-policy anyone_verified --name Announcements')
    .action(async (address: string, opts: { postPolicy: List['post_policy']; name?: string; description?: string }) => {
      const c = ctx();
      const list = await c.client().lists.create({ ...addressOrLocal(address), post_policy: opts.postPolicy, ...(opts.name ? { name: opts.name } : {}), ...(opts.description ? { description: opts.description } : {}) });
      c.print(list, () => `Created list ${list.address}:\n${summary(list)}`);
    });
  lists
    .command('list')
    .description("the account's lists")
    .action(async () => {
      const c = ctx();
      const items: List[] = [];
      for await (const list of c.client().lists.iterate()) items.push(list);
      c.print(items, () => (items.length === 0 ? 'No lists.' : table(items.map((l) => ({ address: l.address, name: l.name, policy: l.post_policy, members: l.member_count })), ['address', 'name', 'policy', 'members'])));
    });
  lists
    .command('get <address>')
    .action(async (address: string) => {
      const c = ctx();
      const list = await c.client().lists.get(address);
      c.print(list, () => summary(list));
    });
  lists
    .command('update <address>')
    .description("change a list's name, description or post policy")
    .addOption(new Option('--post-policy <policy>').choices(LIST_POST_POLICIES))
    .option('--name <name>')
    .option('--description <text>')
    .action(async (address: string, opts: { postPolicy?: List['post_policy']; name?: string; description?: string }) => {
      const c = ctx();
      const list = await c.client().lists.update(address, { ...(opts.postPolicy ? { post_policy: opts.postPolicy } : {}), ...(opts.name !== undefined ? { name: opts.name } : {}), ...(opts.description !== undefined ? { description: opts.description } : {}) });
      c.print(list, () => summary(list));
    });
  lists
    .command('delete <address>')
    .description('delete the list and its memberships (members keep the mail they received)')
    .action(async (address: string) => {
      const c = ctx();
      await c.client().lists.delete(address);
      c.print({ deleted: address }, () => `Deleted list ${address}`);
    });

  const members = lists.command('members').description("a list's member agents (agents of this account)");
  members
    .command('add <list> <agent>')
    .action(async (list: string, agent: string) => {
      const c = ctx();
      const member = await c.client().lists.members.add(list, agent);
      c.print(member, () => `Added ${member.agent_address} to ${list}`);
    });
  members
    .command('remove <list> <agent>')
    .action(async (list: string, agent: string) => {
      const c = ctx();
      await c.client().lists.members.remove(list, agent);
      c.print({ removed: agent, list }, () => `Removed ${agent} from ${list}`);
    });
  members
    .command('list <list>')
    .action(async (list: string) => {
      const c = ctx();
      const items: ListMember[] = [];
      for await (const member of c.client().lists.members.iterate(list)) items.push(member);
      c.print(items, () => (items.length === 0 ? 'No members.' : table(items.map((m) => ({ agent: m.agent_address, joined: m.joined_at })), ['agent', 'joined'])));
    });
}
