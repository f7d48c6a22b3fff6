import { ApproveContactInput, Contact, ContactList, ContactRequestInput, ContactRequestResult, ListContactsQuery } from '@e2a/sdk/wire';
import { JsonReply, type RouteTable } from '../http/route.js';
import type { ContactsService } from './service.js';

export function contactRoutes(routes: RouteTable, contacts: ContactsService): void {
  routes.add(
    {
      method: 'post',
      path: '/v1/agents/:address/contacts',
      operationId: 'contacts.request',
      summary: 'Ask to become contacts with an address: 202 and a code for the requester alike for every address (docs/CONTACTS.md)',
      tag: 'contacts',
      body: ContactRequestInput,
      response: ContactRequestResult,
      status: 202,
      errors: ['conflict'],
    },
    async ({ principal, params, body }) => new JsonReply(202, await contacts.request(principal, params.address!, body)),
  );
  routes.add(
    {
      method: 'get',
      path: '/v1/agents/:address/contacts',
      operationId: 'contacts.list',
      summary: "The agent's contacts, incoming and outgoing, newest first",
      tag: 'contacts',
      query: ListContactsQuery,
      response: ContactList,
    },
    ({ principal, params, query }) => contacts.list(principal, params.address!, query),
  );
  routes.add(
    { method: 'get', path: '/v1/agents/:address/contacts/:id', operationId: 'contacts.get', summary: 'One contact of the agent', tag: 'contacts', response: Contact },
    ({ principal, params }) => contacts.get(principal, params.address!, params.id!),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/agents/:address/contacts/:id/approve',
      operationId: 'contacts.approve',
      summary: "Approve a request: the target's account keys without the code, its agent key with it; an address outside this gateway, the requester's account keys",
      tag: 'contacts',
      body: ApproveContactInput,
      response: Contact,
      limit: 'contact_approve',
      errors: ['conflict', 'gone'],
    },
    ({ principal, params, body }) => contacts.approve(principal, params.address!, params.id!, body),
  );
  routes.add(
    { method: 'delete', path: '/v1/agents/:address/contacts/:id', operationId: 'contacts.revoke', summary: 'Revoke a contact or withdraw a request, from either side', tag: 'contacts' },
    ({ principal, params }) => contacts.revoke(principal, params.address!, params.id!),
  );
}
