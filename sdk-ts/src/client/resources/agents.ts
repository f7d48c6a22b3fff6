import type { Agent, AgentPage, ScheduledErasure, CreateAgentRequest, ExtendAgentRequest, Protection, ProtectionInput, UpdateAgentRequest } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import { paginate, type PageParams } from '../pagination.js';

const enc = encodeURIComponent;

export class AgentsResource {
  constructor(private readonly http: HttpClient) {}

  /**
   * `create({ local_part: 'bot' })` on the shared domain, or `create({ address })` on a verified one.
   * `ttl_seconds` or `expires_at` makes an ephemeral inbox that deletes itself (docs/EPHEMERAL.md).
   */
  create(body: CreateAgentRequest): Promise<Agent> {
    return this.http.request('POST', '/v1/agents', { body });
  }

  list(params: PageParams = {}): Promise<AgentPage> {
    return this.http.request('GET', '/v1/agents', { query: params });
  }

  iterate(params: Omit<PageParams, 'cursor'> = {}): AsyncGenerator<Agent> {
    return paginate((cursor) => this.list({ ...params, cursor }));
  }

  get(address: string): Promise<Agent> {
    return this.http.request('GET', `/v1/agents/${enc(address)}`);
  }

  /**
   * A new expiry for an ephemeral agent: `extend(address, { ttl_seconds: 3600 })` (from now) or
   * `{ expires_at }`. An agent that has already expired cannot be extended (GoneError, 410).
   */
  extend(address: string, body: ExtendAgentRequest): Promise<Agent> {
    return this.http.request('POST', `/v1/agents/${enc(address)}/extend`, { body });
  }

  /**
   * Deletes the agent and everything of it (docs/DATA.md): disabled at once, erased after the
   * server's grace period. `confirm` repeats the address. Until the grace period ends,
   * `account.cancelErasure(erasure.id)` (or `account.cancelDeletion(id, cancel_token)`) restores it.
   */
  delete(address: string, opts: { confirm: string }): Promise<ScheduledErasure> {
    return this.http.request('DELETE', `/v1/agents/${enc(address)}`, { query: { confirm: opts.confirm } });
  }

  /**
   * Changes the agent's settings: `update(address, { retention_days: 30 })` keeps its mail 30 days,
   * `null` forever, `'account'` as the account says (docs/RETENTION.md). Account keys only.
   */
  update(address: string, body: UpdateAgentRequest): Promise<Agent> {
    return this.http.request('PATCH', `/v1/agents/${enc(address)}`, { body });
  }

  /** Inbound and outbound gates, content scan and hold settings. */
  getProtection(address: string): Promise<Protection> {
    return this.http.request('GET', `/v1/agents/${enc(address)}/protection`);
  }

  setProtection(address: string, protection: ProtectionInput): Promise<Protection> {
    return this.http.request('PUT', `/v1/agents/${enc(address)}/protection`, { body: protection });
  }
}
