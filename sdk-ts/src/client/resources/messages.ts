import type { ForwardRequest, LabelChanges, LabelSet, ListMessagesQuery, Message, MessagePage, MessageSummary, ReplyRequest, SearchHit, SearchPage, SendMessageRequest, SendResult } from '../../wire/index.js';
import { randomHex } from '../../signing/web-crypto.js';
import type { HttpClient, RequestOptions } from '../http.js';
import { paginate } from '../pagination.js';

const enc = encodeURIComponent;

/** The list filters as the API parses them: `unread` is a boolean here, `true`/`false` in the URL. */
export type ListMessagesParams = Partial<ListMessagesQuery>;

/** The list filters a mailbox search combines with (docs/SEARCH.md); `q` is the search's own argument. */
export type MailboxSearchParams = Omit<ListMessagesParams, 'q'>;

/** The filters of a search across mailboxes: the list's but `label` (labels are per agent). */
export type SearchParams = Omit<MailboxSearchParams, 'label'>;

export interface SendOptions {
  /** Repeating a request with the same key returns the first result instead of sending twice. */
  idempotencyKey?: string;
  /** Wait for the final status (sent or failed) up to `timeoutSeconds`. */
  wait?: boolean;
  timeoutSeconds?: number;
}

/** The request options every send shares: ?wait=sent, and an Idempotency-Key so a retry sends once. */
export function sending(body: unknown, opts: SendOptions): RequestOptions {
  return {
    body,
    query: opts.wait ? { wait: 'sent', timeout: opts.timeoutSeconds || undefined } : {},
    idempotencyKey: opts.idempotencyKey ?? randomHex(16),
  };
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
    return paginate((cursor) => this.list(agent, { ...params, cursor }));
  }

  /**
   * Full-text search of one mailbox (docs/SEARCH.md): `q` in words, "a phrase", -excluded, or; best
   * match first, each hit with `match.snippet` (HTML-escaped, the words between <mark> and </mark>).
   */
  search(agent: string, q: string, params: MailboxSearchParams = {}): Promise<SearchPage> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/messages`, { query: { ...params, q } });
  }

  /** Every hit of a mailbox search, best first, fetching pages as needed. */
  iterateSearch(agent: string, q: string, params: Omit<MailboxSearchParams, 'cursor'> = {}): AsyncGenerator<SearchHit> {
    return paginate((cursor) => this.search(agent, q, { ...params, cursor }));
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

  /**
   * Add and remove the message's labels in one change (docs/LABELS.md); answers its labels as they
   * now are, system labels (unread, sent, trash) first. A label is created on first use.
   */
  updateLabels(agent: string, id: string, changes: LabelChanges): Promise<LabelSet> {
    return this.http.request('POST', `/v1/agents/${enc(agent)}/messages/${enc(id)}/labels`, { body: changes });
  }

  /** Mark read (true) or unread (false). */
  markRead(agent: string, id: string, read = true): Promise<Message> {
    return this.http.request('PATCH', `/v1/agents/${enc(agent)}/messages/${enc(id)}`, { body: { read } });
  }

  /**
   * Moves the message to the trash (docs/RETENTION.md): it leaves the mailbox and can be restored
   * for the server's retention.trash_days, then it is purged. `list(agent, { in: 'trash' })` lists
   * the trash.
   */
  delete(agent: string, id: string): Promise<void> {
    return this.http.request('DELETE', `/v1/agents/${enc(agent)}/messages/${enc(id)}`);
  }

  /** Takes a message out of the trash; GoneError (410) once its restore period has ended. */
  restore(agent: string, id: string): Promise<Message> {
    return this.http.request('POST', `/v1/agents/${enc(agent)}/messages/${enc(id)}/restore`);
  }

  send(agent: string, body: SendMessageRequest, opts: SendOptions = {}): Promise<SendResult> {
    return this.http.request('POST', `/v1/agents/${enc(agent)}/messages`, sending(body, opts));
  }

  reply(agent: string, messageId: string, body: ReplyRequest, opts: SendOptions = {}): Promise<SendResult> {
    return this.http.request('POST', `/v1/agents/${enc(agent)}/messages/${enc(messageId)}/reply`, sending(body, opts));
  }

  forward(agent: string, messageId: string, body: ForwardRequest, opts: SendOptions = {}): Promise<SendResult> {
    return this.http.request('POST', `/v1/agents/${enc(agent)}/messages/${enc(messageId)}/forward`, sending(body, opts));
  }

  /** Cancel a message sent with `send_at` before it goes out (status `cancelled`); a second cancel answers the same. */
  cancel(agent: string, messageId: string): Promise<SendResult> {
    return this.http.request('POST', `/v1/agents/${enc(agent)}/messages/${enc(messageId)}/cancel`);
  }
}
