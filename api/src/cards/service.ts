/**
 * Capability cards and the directory (docs/CARDS.md). Who may read a card is visibility.ts; who may
 * write one is the agent rule (AgentsService.resolve: account keys of its account, and its own
 * agent key), with one exception, as for protection: only an account key may change `visibility`.
 * Publishing a card puts the agent's address in front of every tenant and the open web, a decision
 * for the account, not for an agent a message could talk into it.
 */
import { CARD_SCHEMA, type AgentCard, type AgentCardInput, type DirectoryPage, type DirectoryQuery, type PublicAgentCard } from '@e2a/sdk/wire';
import type { z } from 'zod';
import type { Principal } from '../accounts/principal.js';
import type { AgentsService } from '../agents/service.js';
import { normaliseAgentAddress } from '../agents/service.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import { decodeDirectoryCursor, encodeDirectoryCursor } from './directory-cursor.js';
import { CardsRepo, type CardRow } from './repo.js';

type CardInput = z.output<typeof AgentCardInput>;
type SearchQuery = z.output<typeof DirectoryQuery>;
type CardFields = Omit<AgentCard, 'address' | 'visibility' | 'updated_at'>;

const unique = <T>(list: T[]): T[] => [...new Set(list)];

/** The stored jsonb as card fields; anything missing or malformed reads as its default. */
function fieldsOf(card: Record<string, unknown>): CardFields {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const policy = card.contact_policy;
  return {
    display_name: typeof card.display_name === 'string' ? card.display_name : null,
    description: typeof card.description === 'string' ? card.description : '',
    skills: list(card.skills),
    accepted_content_types: list(card.accepted_content_types),
    languages: list(card.languages),
    contact_policy: policy === 'contacts_only' || policy === 'closed' ? policy : 'open',
    schema_versions: list(card.schema_versions),
  };
}

export function toWireCard(row: CardRow): AgentCard {
  return { address: row.address, ...fieldsOf(row.card), visibility: row.visibility, updated_at: new Date(row.updated_at).toISOString() };
}

/** The card as stored: skills and media types lowercase, languages in canonical BCP 47 case, no duplicates. */
function normalise(body: CardInput): CardFields {
  const languages = body.languages.map((tag, i) => {
    try {
      return Intl.getCanonicalLocales(tag)[0]!;
    } catch {
      const message = `"${tag}" is not a well-formed BCP 47 language tag (e.g. en, de-CH, zh-Hant)`;
      throw new AppError('validation_error', `languages[${i}]: ${message}`, [{ path: `body.languages.${i}`, message }]);
    }
  });
  return {
    display_name: body.display_name === null ? null : body.display_name.trim() || null,
    description: body.description.trim(),
    skills: unique(body.skills.map((s) => s.toLowerCase())),
    accepted_content_types: unique(body.accepted_content_types.map((s) => s.toLowerCase())),
    languages: unique(languages),
    contact_policy: body.contact_policy,
    schema_versions: unique(body.schema_versions),
  };
}

export class CardsService {
  private readonly repo: CardsRepo;

  constructor(private readonly deps: { db: Database; agents: AgentsService; clock: Clock }) {
    this.repo = new CardsRepo(deps.db);
  }

  /** The agent's card for its own account's keys, whatever its visibility; anyone else's key gets a public card or the unknown agent's 404. */
  async get(principal: Principal, address: string): Promise<AgentCard> {
    let agentId: string;
    try {
      agentId = (await this.deps.agents.resolve(principal, address)).id;
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'not_found')) throw err;
      const published = await this.repo.publicByAddress(normaliseAgentAddress(address));
      if (published) return toWireCard(published);
      throw err;
    }
    const row = await this.repo.byAgent(agentId);
    if (!row) throw new AppError('not_found', `agent ${address} has no card; publish one with PUT /v1/agents/{address}/card`);
    return toWireCard(row);
  }

  async put(principal: Principal, address: string, body: CardInput): Promise<AgentCard> {
    const agent = await this.deps.agents.resolve(principal, address);
    const current = await this.repo.byAgent(agent.id);
    const currentVisibility = current?.visibility ?? 'account';
    const visibility = body.visibility ?? currentVisibility;
    if (visibility !== currentVisibility && principal.scope !== 'account') {
      throw new AppError('forbidden', `agent-scoped keys cannot change a card's visibility (it is ${currentVisibility}); leave visibility out, or use an account key`);
    }
    await this.repo.upsert({ agent_id: agent.id, visibility, card: normalise(body), now: this.deps.clock.now() });
    return toWireCard((await this.repo.byAgent(agent.id))!);
  }

  /** Idempotent: an agent without a card answers as one whose card was just deleted. */
  async delete(principal: Principal, address: string): Promise<void> {
    const agent = await this.deps.agents.resolve(principal, address);
    await this.repo.delete(agent.id);
  }

  async search(principal: Principal, query: SearchQuery): Promise<DirectoryPage> {
    const q = query.q?.trim() ? query.q.trim() : null;
    const rows = await this.repo.search(principal, {
      q,
      tag: query.tag ? query.tag.toLowerCase() : null,
      limit: query.limit,
      after: query.cursor ? decodeDirectoryCursor(query.cursor) : null,
    });
    const more = rows.length > query.limit;
    const page = more ? rows.slice(0, query.limit) : rows;
    const last = page[page.length - 1];
    return { items: page.map(toWireCard), next_cursor: more && last ? encodeDirectoryCursor({ rank: last.rank, agentId: last.agent_id }) : null };
  }

  /**
   * The well-known document: only for a `public` card. No agent, and an agent whose card is not
   * public, get one and the same 404, so the URL cannot be used to learn which addresses exist.
   */
  async wellKnown(address: string): Promise<PublicAgentCard> {
    const row = await this.repo.publicByAddress(normaliseAgentAddress(address));
    if (!row) throw new AppError('not_found', `no public card for ${address}`);
    const { visibility: _v, ...card } = toWireCard(row);
    return { schema: CARD_SCHEMA, ...card };
  }
}
