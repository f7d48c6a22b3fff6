import type { CreateListRequest, List, ListMember, ListMemberPage, ListPage, UpdateListRequest } from '../../wire/index.js';
import type { HttpClient } from '../http.js';
import { paginate, type PageParams } from '../pagination.js';

const enc = encodeURIComponent;

/** A list's member agents (agents of the list's account). */
export class ListMembersResource {
  constructor(private readonly http: HttpClient) {}

  add(list: string, agentAddress: string): Promise<ListMember> {
    return this.http.request('POST', `/v1/lists/${enc(list)}/members`, { body: { agent_address: agentAddress } });
  }

  /** Idempotent: removing an agent that is not a member succeeds. */
  remove(list: string, agentAddress: string): Promise<void> {
    return this.http.request('DELETE', `/v1/lists/${enc(list)}/members/${enc(agentAddress)}`);
  }

  list(list: string, params: PageParams = {}): Promise<ListMemberPage> {
    return this.http.request('GET', `/v1/lists/${enc(list)}/members`, { query: params });
  }

  iterate(list: string): AsyncGenerator<ListMember> {
    return paginate((cursor) => this.list(list, { cursor }));
  }
}

/** Lists (docs/LISTS.md): an address that fans each message out to its member agents. Account keys only. */
export class ListsResource {
  readonly members: ListMembersResource;

  constructor(private readonly http: HttpClient) {
    this.members = new ListMembersResource(http);
  }

  create(req: CreateListRequest): Promise<List> {
    return this.http.request('POST', '/v1/lists', { body: req });
  }

  get(address: string): Promise<List> {
    return this.http.request('GET', `/v1/lists/${enc(address)}`);
  }

  update(address: string, patch: UpdateListRequest): Promise<List> {
    return this.http.request('PATCH', `/v1/lists/${enc(address)}`, { body: patch });
  }

  delete(address: string): Promise<void> {
    return this.http.request('DELETE', `/v1/lists/${enc(address)}`);
  }

  list(params: PageParams = {}): Promise<ListPage> {
    return this.http.request('GET', '/v1/lists', { query: params });
  }

  iterate(): AsyncGenerator<List> {
    return paginate((cursor) => this.list({ cursor }));
  }
}
