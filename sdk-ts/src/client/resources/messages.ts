import type { ForwardRequest, ListMessagesQuery, Message, MessagePage, MessageSummary, ReplyRequest, SendMessageRequest, SendResult } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import { paginate } from '../pagination.js';

const enc = encodeURIComponent;

/** Query parameters as the API takes them (unread as a boolean). */
export type ListMessagesParams = Partial<Omit<ListMessagesQuery, 'unread'>> & { unread?: boolean };

export interface SendOptions {
  /** Repeating a request with the same key returns the first result instead of sending twice. */
  idempotencyKey?: string;
  /** Wait for the final status (sent or failed) up to `timeoutSeconds`. */
  wait?: boolean;
  timeoutSeconds?: number;
}

function randomKey(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function query(opts: SendOptions) {
  return opts.wait ? { wait: 'sent', ...(opts.timeoutSeconds ? { timeout: opts.timeoutSeconds } : {}) } : {};
}

/**
 * An agent's mailbox, and sending as that agent. Every send carries an Idempotency-Key (one is
 * generated when not given), so the client may retry it safely after a network error.
 */
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

  /** Mark read (true) or unread (false). */
  markRead(agent: string, id: string, read = true): Promise<Message> {
    return this.http.request('PATCH', `/v1/agents/${enc(agent)}/messages/${enc(id)}`, { body: { read } });
  }

  send(agent: string, body: SendMessageRequest, opts: SendOptions = {}): Promise<SendResult> {
    return this.http.request('POST', `/v1/agents/${enc(agent)}/messages`, { body, query: query(opts), idempotencyKey: opts.idempotencyKey ?? randomKey() });
  }

  reply(agent: string, messageId: string, body: ReplyRequest, opts: SendOptions = {}): Promise<SendResult> {
    return this.http.request('POST', `/v1/agents/${enc(agent)}/messages/${enc(messageId)}/reply`, {
      body,
      query: query(opts),
      idempotencyKey: opts.idempotencyKey ?? randomKey(),
    });
  }

  forward(agent: string, messageId: string, body: ForwardRequest, opts: SendOptions = {}): Promise<SendResult> {
    return this.http.request('POST', `/v1/agents/${enc(agent)}/messages/${enc(messageId)}/forward`, {
      body,
      query: query(opts),
      idempotencyKey: opts.idempotencyKey ?? randomKey(),
    });
  }
}
