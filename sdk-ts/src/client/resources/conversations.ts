import type { Conversation, ConversationDetail, ConversationPage } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import { paginate } from '../pagination.js';

const enc = encodeURIComponent;

export class ConversationsResource {
  constructor(private readonly http: HttpClient) {}

  list(agent: string, params: { limit?: number; cursor?: string } = {}): Promise<ConversationPage> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/conversations`, { query: params });
  }

  iterate(agent: string, params: { limit?: number } = {}): AsyncGenerator<Conversation> {
    return paginate((cursor) => this.list(agent, { ...params, ...(cursor ? { cursor } : {}) }));
  }

  get(agent: string, id: string): Promise<ConversationDetail> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/conversations/${enc(id)}`);
  }
}
