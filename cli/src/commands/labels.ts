/** labels [list]|delete, messages label and conversations label: an agent's labels (docs/LABELS.md). */
import type { LabelChanges, LabelSet } from '@e2a/sdk';
import type { Command } from 'commander';
import { table, type Context } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { CliError } from '../failure.js';
import { collect } from '../repeatable.js';

export function labelCommands(program: Command, ctx: () => Context): void {
  const labels = program.command('labels').description("an agent's labels and how much carries each (docs/LABELS.md)");
  labels
    .command('list', { isDefault: true })
    .description('the system labels (unread, sent, trash), then the agent\'s own, with their counts')
    .option('--agent <address>')
    .addHelpText('after', '\nExamples:\n  e2a labels --agent bot@agents.example.com\n  e2a messages list --label invoices --label todo')
    .action(async (opts: { agent?: string }) => {
      const c = ctx();
      const list = await c.client().labels.list(c.agent(opts.agent));
      c.print(list, () =>
        table(
          list.items.map((l) => ({ name: l.name, kind: l.system ? 'system' : 'user', messages: l.messages, unread: l.unread_messages, conversations: l.conversations })),
          ['name', 'kind', 'messages', 'unread', 'conversations'],
        ),
      );
    });
  labels
    .command('delete <name>')
    .description('delete a label: it leaves every message and conversation it was on')
    .option('--agent <address>')
    .action(async (name: string, opts: { agent?: string }) => {
      const c = ctx();
      await c.client().labels.delete(c.agent(opts.agent), name);
      c.print({ deleted: name }, () => `Deleted label ${name}`);
    });
}

/** `e2a messages label <id> --add x --remove y`, on the messages command. */
export function messageLabelCommand(messages: Command, ctx: () => Context): void {
  labelChangeCommand(messages, ctx, {
    what: 'a message',
    example: 'e2a messages label msg_01j…',
    update: (c, agent, id, changes) => c.client().messages.updateLabels(agent, id, changes),
  });
}

/** `e2a conversations label <id> --add x --remove y`: the conversation's own labels, not its messages'. */
export function conversationLabelCommand(conversations: Command, ctx: () => Context): void {
  labelChangeCommand(conversations, ctx, {
    what: "a conversation (its own labels; its messages' are unchanged)",
    example: 'e2a conversations label conv_01j…',
    update: (c, agent, id, changes) => c.client().conversations.updateLabels(agent, id, changes),
  });
}

/** One `label <id> --add --remove` command, the same for whatever `update` labels. */
function labelChangeCommand(
  parent: Command,
  ctx: () => Context,
  of: { what: string; example: string; update: (c: Context, agent: string, id: string, changes: LabelChanges) => Promise<LabelSet> },
): void {
  parent
    .command('label <id>')
    .description(`add and remove labels of ${of.what} in one change; a label is created on first use`)
    .option('--agent <address>')
    .option('--add <label>', 'put this label on (repeatable)', collect, [])
    .option('--remove <label>', 'take this label off (repeatable)', collect, [])
    .addHelpText('after', `\nExamples:\n  ${of.example} --add invoices --add todo\n  ${of.example} --remove todo`)
    .action(async (id: string, opts: { agent?: string; add: string[]; remove: string[] }) => {
      if (opts.add.length === 0 && opts.remove.length === 0) throw new CliError('give --add <label> or --remove <label> (each repeatable)', EXIT.usage);
      const c = ctx();
      const result = await of.update(c, c.agent(opts.agent), id, { add: opts.add, remove: opts.remove });
      c.print(result, () => `${id}: ${result.labels.length > 0 ? result.labels.join(', ') : '(no labels)'}`);
    });
}
