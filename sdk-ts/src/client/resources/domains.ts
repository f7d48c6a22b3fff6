import type { CreateDomainRequest, Domain, DomainList } from '../../wire/index.js';
import type { HttpClient } from '../http.js';

const enc = encodeURIComponent;

/** Custom domains: claim one, publish its records, verify it, remove it. */
export class DomainsResource {
  constructor(private readonly http: HttpClient) {}

  /** Returns the records to publish; claiming a name you already hold returns that claim. */
  create(body: CreateDomainRequest): Promise<Domain> {
    return this.http.request('POST', '/v1/domains', { body });
  }

  /** The shared domain first, then the account's. */
  list(): Promise<DomainList> {
    return this.http.request('GET', '/v1/domains');
  }

  get(name: string): Promise<Domain> {
    return this.http.request('GET', `/v1/domains/${enc(name)}`);
  }

  /** Checks the ownership TXT record now. */
  verify(name: string): Promise<Domain> {
    return this.http.request('POST', `/v1/domains/${enc(name)}/verify`);
  }

  /** Only a domain with no agents. */
  delete(name: string): Promise<void> {
    return this.http.request('DELETE', `/v1/domains/${enc(name)}`);
  }
}
