import { AddListMemberRequest, CreateListRequest, List, ListMember, ListMemberPage, ListPage, PageQuery, UpdateListRequest } from '@e2a/sdk/wire';
import type { RouteTable } from '../http/route.js';
import type { ListsService } from './service.js';

export function listRoutes(routes: RouteTable, lists: ListsService): void {
  routes.add(
    { method: 'post', path: '/v1/lists', operationId: 'lists.create', errors: ['conflict'], summary: 'Create a list: an address that fans mail out to member agents (account keys)', tag: 'lists', body: CreateListRequest, response: List, status: 201 },
    ({ principal, body }) => lists.create(principal, body),
  );
  routes.add(
    { method: 'get', path: '/v1/lists', operationId: 'lists.list', summary: "The account's lists", tag: 'lists', query: PageQuery, response: ListPage },
    ({ principal, query }) => lists.list(principal, query),
  );
  routes.add(
    { method: 'get', path: '/v1/lists/:address', operationId: 'lists.get', summary: 'Get a list', tag: 'lists', response: List },
    ({ principal, params }) => lists.get(principal, params.address!),
  );
  routes.add(
    { method: 'patch', path: '/v1/lists/:address', operationId: 'lists.update', summary: "Change a list's name, description or post policy", tag: 'lists', body: UpdateListRequest, response: List },
    ({ principal, params, body }) => lists.update(principal, params.address!, body),
  );
  routes.add(
    { method: 'delete', path: '/v1/lists/:address', operationId: 'lists.delete', summary: 'Delete a list and its memberships', tag: 'lists' },
    ({ principal, params }) => lists.delete(principal, params.address!),
  );
  routes.add(
    { method: 'get', path: '/v1/lists/:address/members', operationId: 'lists.listMembers', summary: "A list's member agents", tag: 'lists', query: PageQuery, response: ListMemberPage },
    ({ principal, params, query }) => lists.members(principal, params.address!, query),
  );
  routes.add(
    { method: 'post', path: '/v1/lists/:address/members', operationId: 'lists.addMember', summary: 'Add an agent of the account to a list', tag: 'lists', body: AddListMemberRequest, response: ListMember, status: 201 },
    ({ principal, params, body }) => lists.addMember(principal, params.address!, body),
  );
  routes.add(
    { method: 'delete', path: '/v1/lists/:address/members/:agent_address', operationId: 'lists.removeMember', summary: 'Remove an agent from a list', tag: 'lists' },
    ({ principal, params }) => lists.removeMember(principal, params.address!, params.agent_address!),
  );
}
