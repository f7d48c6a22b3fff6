import { CreateDomainRequest, Domain, DomainList } from '@e2a/sdk/wire';
import type { RouteTable } from '../http/route.js';
import type { DomainsService } from './service.js';

export function domainRoutes(routes: RouteTable, domains: DomainsService): void {
  routes.add(
    { method: 'post', path: '/v1/domains', summary: 'Add a custom domain: returns the TXT, DKIM and MX records to publish', tag: 'domains', body: CreateDomainRequest, response: Domain, status: 201 },
    async ({ principal, body }) => domains.create(principal, body.name),
  );
  routes.add(
    { method: 'get', path: '/v1/domains', summary: 'List domains: the shared one first, then yours', tag: 'domains', response: DomainList },
    async ({ principal }) => domains.list(principal),
  );
  routes.add(
    { method: 'get', path: '/v1/domains/:name', summary: 'One domain with its DNS records', tag: 'domains', response: Domain },
    async ({ principal, params }) => domains.get(principal, params.name!),
  );
  routes.add(
    { method: 'post', path: '/v1/domains/:name/verify', summary: 'Check the ownership TXT record and mark the domain verified', tag: 'domains', response: Domain },
    async ({ principal, params }) => domains.verify(principal, params.name!),
  );
  routes.add(
    { method: 'delete', path: '/v1/domains/:name', summary: 'Remove a domain that has no agents', tag: 'domains' },
    async ({ principal, params }) => {
      await domains.delete(principal, params.name!);
    },
  );
}
