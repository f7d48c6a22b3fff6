/**
 * The e2a API client. Works in Node >= 18 and browsers (fetch-based).
 *
 *   const e2a = new E2A();                       // E2A_API_KEY, E2A_API_URL from the environment
 *   for await (const m of e2a.messages.iterate('bot@agents.example.com', { unread: true })) …
 */
import type { Info } from '../wire/index.js';
import { HttpClient } from './http.js';
import { listen, type EventStream, type ListenOptions } from './listen.js';
import { AccountResource } from './resources/account.js';
import { AgentsResource } from './resources/agents.js';
import { CardsResource, DirectoryResource } from './resources/cards.js';
import { ListsResource } from './resources/lists.js';
import { ContactsResource } from './resources/contacts.js';
import { ApiKeysResource } from './resources/api-keys.js';
import { ConversationsResource } from './resources/conversations.js';
import { SessionsResource, SignInLinksResource } from './resources/dashboard.js';
import { DomainsResource } from './resources/domains.js';
import { DraftsResource } from './resources/drafts.js';
import { EventsResource } from './resources/events.js';
import { LabelsResource } from './resources/labels.js';
import { MessagesResource } from './resources/messages.js';
import { SearchResource } from './resources/search.js';
import { OutboxResource } from './resources/outbox.js';
import { ReviewsResource } from './resources/reviews.js';
import { WebhooksResource } from './resources/webhooks.js';

export interface E2AOptions {
  /** Defaults to E2A_API_KEY. */
  apiKey?: string;
  /** Defaults to E2A_API_URL, then http://127.0.0.1:8080. */
  baseUrl?: string;
  /** Defaults to E2A_AGENT_EMAIL: the agent methods use when none is given. */
  agent?: string;
  fetch?: typeof fetch;
  /**
   * Browser on the gateway's own origin (the dashboard): authenticate with the session cookie
   * instead of a key, and send the CSRF token the gateway set. `apiKey` is then not needed.
   */
  session?: boolean;
  /** Retries of safe requests (GET, DELETE, anything with an Idempotency-Key). Default 2. */
  maxRetries?: number;
  timeoutMs?: number;
}

function env(name: string): string | undefined {
  // `process` does not exist in browsers.
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  return proc?.env?.[name] || undefined;
}

export class E2A {
  readonly agents: AgentsResource;
  /** Agents' capability cards. */
  readonly cards: CardsResource;
  /** Search over the cards you may see. */
  readonly directory: DirectoryResource;
  /** Lists: addresses that fan mail out to member agents (docs/LISTS.md). */
  readonly lists: ListsResource;
  /** Contact requests and grants (docs/CONTACTS.md). */
  readonly contacts: ContactsResource;
  readonly messages: MessagesResource;
  /** Full-text search across every mailbox the key may read. */
  readonly search: SearchResource;
  /** Saved drafts, sent later as a send would be (docs/OUTBOUND.md). */
  readonly drafts: DraftsResource;
  readonly apiKeys: ApiKeysResource;
  readonly conversations: ConversationsResource;
  /** An agent's labels and their counts (docs/LABELS.md). */
  readonly labels: LabelsResource;
  readonly webhooks: WebhooksResource;
  readonly events: EventsResource;
  readonly reviews: ReviewsResource;
  readonly domains: DomainsResource;
  /** Mail captured instead of sent (outbound_smtp.mode outbox). */
  readonly outbox: OutboxResource;
  /** The account's claims key (verifying X-E2A-Auth-* claims). */
  readonly account: AccountResource;
  /** One-time dashboard sign-in links. */
  readonly signInLinks: SignInLinksResource;
  /** Dashboard sessions (signed-in browsers). */
  readonly sessions: SessionsResource;
  readonly http: HttpClient;
  /** The default agent address (E2A_AGENT_EMAIL), if any. */
  readonly agent: string | undefined;
  private readonly apiKey: string | null;

  constructor(options: E2AOptions = {}) {
    const apiKey = options.session ? null : (options.apiKey ?? env('E2A_API_KEY'));
    if (apiKey === undefined || apiKey === '') throw new Error('e2a: no API key; pass { apiKey } or set E2A_API_KEY (the server prints one at first start)');
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (!fetchImpl) throw new Error('e2a: no fetch in this runtime; pass { fetch } (Node >= 18 has one)');
    this.apiKey = apiKey;
    this.http = new HttpClient({
      apiKey,
      session: options.session ?? false,
      baseUrl: options.baseUrl ?? env('E2A_API_URL') ?? 'http://127.0.0.1:8080',
      fetch: fetchImpl.bind(globalThis),
      maxRetries: options.maxRetries ?? 2,
      timeoutMs: options.timeoutMs ?? 30_000,
    });
    this.agent = options.agent ?? env('E2A_AGENT_EMAIL');
    this.agents = new AgentsResource(this.http);
    this.cards = new CardsResource(this.http);
    this.lists = new ListsResource(this.http);
    this.directory = new DirectoryResource(this.http);
    this.contacts = new ContactsResource(this.http);
    this.messages = new MessagesResource(this.http);
    this.search = new SearchResource(this.http);
    this.drafts = new DraftsResource(this.http);
    this.apiKeys = new ApiKeysResource(this.http);
    this.conversations = new ConversationsResource(this.http);
    this.labels = new LabelsResource(this.http);
    this.webhooks = new WebhooksResource(this.http);
    this.events = new EventsResource(this.http);
    this.reviews = new ReviewsResource(this.http);
    this.domains = new DomainsResource(this.http);
    this.outbox = new OutboxResource(this.http);
    this.account = new AccountResource(this.http);
    this.signInLinks = new SignInLinksResource(this.http);
    this.sessions = new SessionsResource(this.http);
  }

  /**
   * The agent's events, live, as an async iterator (WebSocket; resumes, reconnects). An event is
   * acked when the loop asks for the next one, or by `stream.ack(event)`; leaving the loop acks
   * nothing more, so an event the consumer failed on comes again on the next listen().
   */
  listen(address: string | undefined = this.agent, options: ListenOptions = {}): EventStream {
    if (!address) throw new Error('e2a: listen() needs an agent address (or E2A_AGENT_EMAIL)');
    if (this.apiKey === null) throw new Error('e2a: listen() authenticates with a key; a session client cannot listen');
    return listen(this.http.url(`/v1/agents/${encodeURIComponent(address)}/ws`), this.apiKey, options);
  }

  info(): Promise<Info> {
    return this.http.request('GET', '/v1/info');
  }
}
