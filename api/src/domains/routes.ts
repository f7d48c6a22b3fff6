import { CreateDomainRequest, Domain, DomainList } from '@e2a/sdk/wire';
import { JsonReply, type RouteTable } from '../http/route.js';
import type { DomainsService } from './service.js';

export function domainRoutes(routes: RouteTable, domains: DomainsService): void {
  routes.add(
    {
      method: 'post',
      path: '/v1/domains',
      summary: 'Claim a custom domain: returns the ownership TXT and MX records to publish (the DKIM record once verified); 200 with the claim you already hold',
      tag: 'domains',
      body: CreateDomainRequest,
      response: Domain,
      status: 201,
    },
    async ({ principal, body }) => {
      const { domain, created } = await domains.create(principal, body.name);
      return created ? domain : new JsonReply(200, domain);
    },
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
