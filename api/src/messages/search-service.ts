/**
 * Full-text search over mailboxes (docs/SEARCH.md): one agent's (`GET …/messages?q=`) or every one a
 * key may open (`GET /v1/search`), ranked, a page at a time, each hit with a snippet of where it
 * matched. Only the page's bodies are decrypted, for ts_headline, and only in this process.
 */
import type { ListMessagesQuery, MessageSummary, SearchMatch, SearchQuery } from '@e2a/sdk/wire';
import type { Principal } from '../accounts/principal.js';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import { toPage } from '../paging.js';
import { decodeSearchCursor, encodeSearchCursor } from './search-cursor.js';
import { searchableBody } from './search-document.js';
import { SearchRepo, type SearchRequest } from './search-repo.js';
import { headlineDocument, snippetHtml } from './snippet.js';

type HitRow = Awaited<ReturnType<SearchRepo['mailbox']>>[number];

/** A hit's summary, as the message list writes it (service.ts). */
export type Summarise = (row: HitRow, agentAddress: string) => MessageSummary;

/** Letters or digits in any script: what the 'simple' parser makes words of. */
const WORD = /[\p{L}\p{N}]/u;

export class SearchService {
  private readonly repo: SearchRepo;

  constructor(private readonly deps: { db: Database; box: SecretBox; clock: Clock; summarise: Summarise }) {
    this.repo = new SearchRepo(deps.db, deps.clock);
  }

  /** One mailbox: the agent's, as AgentsService.resolve gave it. */
  async mailbox(agent: { id: string; address: string }, query: ListMessagesQuery & { q: string }) {
    const rows = await this.repo.mailbox(agent.id, request(query));
    return this.page(rows, query, () => agent.address);
  }

  /** Every mailbox the principal may open: an account key's agents, an agent key's own. */
  async mailboxes(principal: Principal, query: SearchQuery) {
    const rows = await this.repo.mailboxes(principal, request(query));
    return this.page(rows, query, (row) => row.agent_address);
  }

  private async page(rows: HitRow[], query: { q: string; limit: number }, addressOf: (row: HitRow) => string) {
    const shown = rows.slice(0, query.limit);
    const { box } = this.deps;
    const documents = shown.map((row) =>
      headlineDocument({ body: searchableBody(box.openText(row.text_body), box.openText(row.html_body)), filenames: row.filenames }),
    );
    const headlines = await this.repo.headlines(query.q, documents);
    const matches = new Map<string, SearchMatch>(shown.map((row, i) => [row.id, { snippet: snippetHtml(headlines[i] ?? ''), rank: row.rank }]));
    return toPage(
      rows,
      query.limit,
      (row) => ({ ...this.deps.summarise(row, addressOf(row)), match: matches.get(row.id)! }),
      (row) => encodeSearchCursor({ rank: row.rank, id: row.id }),
    );
  }
}

function request(query: Omit<ListMessagesQuery, 'q'> & { q: string }): SearchRequest {
  // websearch_to_tsquery finds no word in such a query, and a search for nothing finds nothing.
  if (!WORD.test(query.q)) {
    throw new AppError('validation_error', 'query.q has no word to search for: give at least one word of letters or digits, e.g. q=invoice', [{ path: 'query.q', message: 'no word to search for' }]);
  }
  const { q, limit, cursor, ...filters } = query;
  return { q, filters, after: cursor ? decodeSearchCursor(cursor) : null, limit };
}
