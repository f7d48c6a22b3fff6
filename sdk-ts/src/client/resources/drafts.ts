import type { Draft, DraftPage, DraftRequest, DraftSummary, ListDraftsQuery, SendResult } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import { paginate } from '../pagination.js';
import { sending, type SendOptions } from './messages.js';

const enc = encodeURIComponent;

/**
 * An agent's saved drafts (docs/OUTBOUND.md, "Drafts and scheduled sending"): a send's fields kept
 * for later, then sent with `send()` exactly as `messages.send` (or, with `in_reply_to`,
 * `messages.reply`) would send them. Sending carries an Idempotency-Key, generated when not given.
 */
export class DraftsResource {
  constructor(private readonly http: HttpClient) {}

  create(agent: string, body: DraftRequest = {}): Promise<Draft> {
    return this.http.request('POST', `/v1/agents/${enc(agent)}/drafts`, { body });
  }

  list(agent: string, query: Partial<ListDraftsQuery> = {}): Promise<DraftPage> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/drafts`, { query });
  }

  /** Every draft of the agent, newest first, fetching pages as needed. */
  iterate(agent: string, query: Omit<Partial<ListDraftsQuery>, 'cursor'> = {}): AsyncGenerator<DraftSummary> {
    return paginate((cursor) => this.list(agent, { ...query, cursor }));
  }

  get(agent: string, id: string): Promise<Draft> {
    return this.http.request('GET', `/v1/agents/${enc(agent)}/drafts/${enc(id)}`);
  }

  /** Replaces the draft: fields left out take their defaults. To change some, get it, change them, put it back. */
  update(agent: string, id: string, body: DraftRequest): Promise<Draft> {
    return this.http.request('PUT', `/v1/agents/${enc(agent)}/drafts/${enc(id)}`, { body });
  }

  delete(agent: string, id: string): Promise<void> {
    return this.http.request('DELETE', `/v1/agents/${enc(agent)}/drafts/${enc(id)}`);
  }

  /** Sends the draft; once it is accepted (queued, scheduled or held for review) the draft is gone. */
  send(agent: string, id: string, opts: SendOptions = {}): Promise<SendResult> {
    return this.http.request('POST', `/v1/agents/${enc(agent)}/drafts/${enc(id)}/send`, sending(undefined, opts));
  }
}
