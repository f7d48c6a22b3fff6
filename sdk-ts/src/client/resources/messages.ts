import type { ListMessagesQuery, Message, MessagePage, MessageSummary } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import { paginate } from '../pagination.js';

const enc = encodeURIComponent;

/** Query parameters as the API takes them (unread as a boolean). */
export type ListMessagesParams = Partial<Omit<ListMessagesQuery, 'unread'>> & { unread?: boolean };

export class MessagesResource {
  constructor(private readonly http: HttpClient) {}

  list(agent: string, params: ListMessagesParams = {}): Promise<MessagePage> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/messages`, { query: params });
  }

  /** Every message matching the filters, newest first, fetching pages as needed. */
  iterate(agent: string, params: Omit<ListMessagesParams, 'cursor'> = {}): AsyncGenerator<MessageSummary> {
    return paginate((cursor) => this.list(agent, { ...params, ...(cursor ? { cursor } : {}) }));
  }

  get(agent: string, id: string): Promise<Message> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/messages/${enc(id)}`);
  }

  /** The stored RFC 5322 bytes with signed X-E2A-Auth-* lines prepended. */
  raw(agent: string, id: string): Promise<Uint8Array> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/messages/${enc(id)}/raw`, { raw: true });
  }

  attachment(agent: string, id: string, index: number): Promise<Uint8Array> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/messages/${enc(id)}/attachments/${index}`, { raw: true });
  }
}
