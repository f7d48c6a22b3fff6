import type { ListOutboxQuery, OutboxItem, OutboxMessage, OutboxPage } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import { paginate } from '../pagination.js';

const enc = encodeURIComponent;

/** Mail the gateway captured instead of sending (outbound_smtp.mode outbox). Account keys only. */
export class OutboxResource {
  constructor(private readonly http: HttpClient) {}

  list(params: Partial<ListOutboxQuery> = {}): Promise<OutboxPage> {
    return this.http.request('GET', '/v1/outbox', { query: params });
  }

  iterate(params: Omit<Partial<ListOutboxQuery>, 'cursor'> = {}): AsyncGenerator<OutboxItem> {
    return paginate((cursor) => this.list({ ...params, cursor }));
  }

  /** One captured mail with its text, the links in it and the raw message. */
  get(id: string): Promise<OutboxMessage> {
    return this.http.request('GET', `/v1/outbox/${enc(id)}`);
  }

  /** The raw RFC 5322 bytes. */
  raw(id: string): Promise<Uint8Array> {
    return this.http.request('GET', `/v1/outbox/${enc(id)}/raw`, { raw: true });
  }
}
