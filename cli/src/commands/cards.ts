/** cards get|set|delete: an agent's capability card; directory search: find agents by their cards (docs/CARDS.md). */
import type { AgentCard, AgentCardInput } from '@e2a/sdk';
import { CARD_VISIBILITIES, CONTACT_POLICIES } from '@e2a/sdk/values';
import { Option, type Command } from 'commander';
import { table, type Context } from '../context.js';
import { readObjectFile } from '../document-file.js';
import { collect } from '../repeatable.js';
import { sdk } from '../sdk.js';

interface SetOptions {
  agent?: string;
  file?: string;
  name?: string;
  description?: string;
  skill: string[];
  accepts: string[];
  language: string[];
  contactPolicy?: AgentCard['contact_policy'];
  schema: string[];
  visibility?: AgentCard['visibility'];
}


/** The card as a PUT body: what the server adds (address, updated_at) left out. */
function inputOf(card: AgentCard): AgentCardInput {
  const { address: _a, updated_at: _u, ...input } = card;
  return input;
}

function summary(card: AgentCard): string {
  const list = (items: string[]) => (items.length ? items.join(', ') : '-');
  return [
    `address:        ${card.address}`,
    `name:           ${card.display_name ?? '-'}`,
    `description:    ${card.description || '-'}`,
    `skills:         ${list(card.skills)}`,
    `accepts:        ${list(card.accepted_content_types)}`,
    `languages:      ${list(card.languages)}`,
    `contact policy: ${card.contact_policy}`,
    `schemas:        ${list(card.schema_versions)}`,
    `visibility:     ${card.visibility}`,
  ].join('\n');
}

export function cardCommands(program: Command, ctx: () => Context): void {
  const cards = program.command('cards').description("an agent's capability card: what it does, what it accepts, who should write (docs/CARDS.md)");
  cards
    .command('get')
    .option('--agent <address>')
    .action(async (opts: { agent?: string }) => {
      const c = ctx();
      const card = await c.client().cards.get(c.agent(opts.agent));
      c.print(card, () => summary(card));
    });
  cards
    .command('set')
    .description('publish or change the card: from a file (JSON or YAML, replacing it) and/or flags (changing only what they name)')
    .option('--agent <address>')
    .option('--file <path>', 'the whole card as JSON or YAML (- for stdin); flags apply on top')
    .option('--name <display-name>', 'display name')
    .option('--description <text>', 'what the agent does, in a few sentences')
    .option('--skill <tag>', 'skill tag, e.g. invoice-processing (repeatable; replaces the list)', collect, [])
    .option('--accepts <media-type>', 'accepted content type, e.g. application/pdf or text/* (repeatable; replaces the list)', collect, [])
    .option('--language <tag>', 'BCP 47 language, e.g. en or pt-BR (repeatable; replaces the list)', collect, [])
    .addOption(new Option('--contact-policy <policy>', 'who should write to the agent').choices(CONTACT_POLICIES))
    .option('--schema <version>', 'supported schema version, e.g. e2a.card/1 (repeatable; replaces the list)', collect, [])
    .addOption(new Option('--visibility <visibility>', 'account: only this account; public: every account and the well-known URL (account key)').choices(CARD_VISIBILITIES))
    .addHelpText('after', '\nExamples:\n  e2a cards set --agent bot@agents.example.com --description "Reads invoices" --skill invoice-processing --accepts application/pdf\n  e2a cards set --agent bot@agents.example.com --file card.yaml --visibility public')
    .action(async (opts: SetOptions) => {
      const c = ctx();
      const agent = c.agent(opts.agent);
      const client = c.client();
      let base: AgentCardInput = {};
      if (opts.file) base = (await readObjectFile(opts.file, 'a card', '{"description": "Reads invoices", "skills": ["invoice-processing"]}')) as AgentCardInput;
      else {
        try {
          base = inputOf(await client.cards.get(agent));
        } catch (err) {
          // No card yet: flags start from the defaults. An unknown agent fails at the PUT below.
          if (!(err instanceof sdk().E2AError && err.code === 'not_found')) throw err;
        }
      }
      const next: AgentCardInput = {
        ...base,
        ...(opts.name !== undefined ? { display_name: opts.name } : {}),
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        ...(opts.skill.length ? { skills: opts.skill } : {}),
        ...(opts.accepts.length ? { accepted_content_types: opts.accepts } : {}),
        ...(opts.language.length ? { languages: opts.language } : {}),
        ...(opts.contactPolicy ? { contact_policy: opts.contactPolicy } : {}),
        ...(opts.schema.length ? { schema_versions: opts.schema } : {}),
        ...(opts.visibility ? { visibility: opts.visibility } : {}),
      };
      const saved = await client.cards.put(agent, next);
      c.print(saved, () => `Card of ${agent}:\n${summary(saved)}`);
    });
  cards
    .command('delete')
    .description("withdraw the agent's card (from the directory and the well-known URL)")
    .option('--agent <address>')
    .action(async (opts: { agent?: string }) => {
      const c = ctx();
      const agent = c.agent(opts.agent);
      await c.client().cards.delete(agent);
      c.print({ deleted: agent }, () => `Deleted the card of ${agent}`);
    });

  const directory = program.command('directory').description("find agents by their cards: your account's and other accounts' public ones");
  directory
    .command('search [query...]')
    .description('full-text search, best match first: words, "a phrase", -excluded, or')
    .option('--tag <skill>', 'only cards with exactly this skill')
    .option('--limit <n>', 'at most this many (default 20)', (v) => Number.parseInt(v, 10))
    .addHelpText('after', '\nExamples:\n  e2a directory search invoice pdf\n  e2a directory search --tag translation')
    .action(async (words: string[], opts: { tag?: string; limit?: number }) => {
      const c = ctx();
      const q = words.join(' ').trim();
      const items: AgentCard[] = [];
      const params = { ...(q ? { q } : {}), ...(opts.tag ? { tag: opts.tag } : {}) };
      if (opts.limit !== undefined) items.push(...(await c.client().directory.search({ ...params, limit: opts.limit })).items);
      else for await (const card of c.client().directory.iterate(params)) items.push(card);
      c.print(items, () =>
        items.length === 0
          ? 'No agent card matches.'
          : table(
              items.map((card) => ({ address: card.address, name: card.display_name, skills: card.skills.join(','), contact: card.contact_policy, visibility: card.visibility })),
              ['address', 'name', 'skills', 'contact', 'visibility'],
            ),
      );
    });
}
