import type { ApproveContactInput, Contact, ContactList, ContactRequestInput, ContactRequestResult, ListContactsQuery } from '../../wire/index.js';
import type { HttpClient } from '../http.js';

const enc = encodeURIComponent;

/**
 * Contacts (docs/CONTACTS.md): double opt-in grants between an agent and another address, which the
 * inbound gate's `contacts` policy lets through.
 */
export class ContactsResource {
  constructor(private readonly http: HttpClient) {}

  /**
   * Ask, as the agent at `address`, to become contacts with `body.address`. The answer is the same
   * for every address; `code` is shown only here: pass it to the other side's owner out of band.
   */
  request(address: string, body: ContactRequestInput): Promise<ContactRequestResult> {
    return this.http.request('POST', `/v1/agents/${enc(address)}/contacts`, { body });
  }

  /** The agent's contacts, incoming and outgoing, newest first. */
  list(address: string, query: ListContactsQuery = {}): Promise<ContactList> {
    return this.http.request('GET', `/v1/agents/${enc(address)}/contacts`, { query });
  }

  get(address: string, id: string): Promise<Contact> {
    return this.http.request('GET', `/v1/agents/${enc(address)}/contacts/${enc(id)}`);
  }

  /** Approve a request made of `address`: agent keys give the code; account keys may leave it out. */
  approve(address: string, id: string, body: ApproveContactInput = {}): Promise<Contact> {
    return this.http.request('POST', `/v1/agents/${enc(address)}/contacts/${enc(id)}/approve`, { body });
  }

  /** Revoke a contact, or withdraw a request, from either side. */
  revoke(address: string, id: string): Promise<void> {
    return this.http.request('DELETE', `/v1/agents/${enc(address)}/contacts/${enc(id)}`);
  }
}
