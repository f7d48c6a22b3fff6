import type { SearchHit, SearchPage } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import { paginate } from '../pagination.js';
import type { SearchParams } from './messages.js';

/**
 * Full-text search across every mailbox the key may read (docs/SEARCH.md): an account key's agents,
 * an agent key's own. `client.messages.search(agent, q)` searches one mailbox.
 */
export class SearchResource {
  constructor(private readonly http: HttpClient) {}

  /** `q`: words, "a phrase", -excluded, or. Best match first; `agent_address` names each hit's mailbox. */
  messages(q: string, params: SearchParams = {}): Promise<SearchPage> {
    return this.http.request('GET', '/v1/search', { query: { ...params, q } });
  }

  /** Every hit, best first, fetching pages as needed. */
  iterate(q: string, params: Omit<SearchParams, 'cursor'> = {}): AsyncGenerator<SearchHit> {
    return paginate((cursor) => this.messages(q, { ...params, cursor }));
  }
}
