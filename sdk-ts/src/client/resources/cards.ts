import type { AgentCard, AgentCardInput, DirectoryPage } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import { paginate, type PageParams } from '../pagination.js';

const enc = encodeURIComponent;

/** An agent's capability card (docs/CARDS.md): what it does, what it accepts, who should write. */
export class CardsResource {
  constructor(private readonly http: HttpClient) {}

  /** The card of an agent of your account (any visibility), or anyone's public card. */
  get(address: string): Promise<AgentCard> {
    return this.http.request('GET', `/v1/agents/${enc(address)}/card`);
  }

  /** Publish or replace the card: omitted fields take their defaults, an omitted `visibility` stays as it is. */
  put(address: string, card: AgentCardInput): Promise<AgentCard> {
    return this.http.request('PUT', `/v1/agents/${enc(address)}/card`, { body: card });
  }

  delete(address: string): Promise<void> {
    return this.http.request('DELETE', `/v1/agents/${enc(address)}/card`);
  }
}

/** `q`: words, "a phrase", -excluded, or; `tag`: one exact skill; `limit` at most 100 (default 20). */
export type DirectorySearchParams = PageParams & { q?: string; tag?: string };

/** Search over cards: your account's (any visibility) and other accounts' public ones, best match first. */
export class DirectoryResource {
  constructor(private readonly http: HttpClient) {}

  search(params: DirectorySearchParams = {}): Promise<DirectoryPage> {
    return this.http.request('GET', '/v1/directory', { query: params });
  }

  iterate(params: Omit<DirectorySearchParams, 'cursor'> = {}): AsyncGenerator<AgentCard> {
    return paginate((cursor) => this.search({ ...params, cursor }));
  }
}
