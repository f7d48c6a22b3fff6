import type { Conversation, ConversationDetail, ConversationPage, LabelChanges, LabelSet, ListConversationsQuery } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import { paginate } from '../pagination.js';

const enc = encodeURIComponent;

/** `label`: only conversations with every one of these labels (docs/LABELS.md). */
export type ListConversationsParams = Partial<ListConversationsQuery>;

export class ConversationsResource {
  constructor(private readonly http: HttpClient) {}

  list(agent: string, params: ListConversationsParams = {}): Promise<ConversationPage> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/conversations`, { query: params });
  }

  iterate(agent: string, params: Omit<ListConversationsParams, 'cursor'> = {}): AsyncGenerator<Conversation> {
    return paginate((cursor) => this.list(agent, { ...params, cursor }));
  }

  get(agent: string, id: string): Promise<ConversationDetail> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/conversations/${enc(id)}`);
  }

  /** Add and remove the conversation's own labels in one change (docs/LABELS.md); answers its labels as they now are. */
  updateLabels(agent: string, id: string, changes: LabelChanges): Promise<LabelSet> {
    return this.http.request('POST', `/v1/agents/${enc(agent)}/conversations/${enc(id)}/labels`, { body: changes });
  }
}
