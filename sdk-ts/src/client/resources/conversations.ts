import type { Conversation, ConversationDetail, ConversationPage } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import { paginate, type PageParams } from '../pagination.js';

const enc = encodeURIComponent;

export class ConversationsResource {
  constructor(private readonly http: HttpClient) {}

  list(agent: string, params: PageParams = {}): Promise<ConversationPage> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/conversations`, { query: params });
  }

  iterate(agent: string, params: Omit<PageParams, 'cursor'> = {}): AsyncGenerator<Conversation> {
    return paginate((cursor) => this.list(agent, { ...params, cursor }));
  }

  get(agent: string, id: string): Promise<ConversationDetail> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/conversations/${enc(id)}`);
  }
}
