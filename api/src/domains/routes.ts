import { CreateDomainRequest, Domain, DomainList } from '@e2a/sdk/wire';
import { JsonReply, type RouteTable } from '../http/route.js';
import type { DomainsService } from './service.js';

export function domainRoutes(routes: RouteTable, domains: DomainsService): void {
  routes.add(
    {
      method: 'post',
      path: '/v1/domains',
      operationId: 'domains.create',
      errors: ['conflict'],
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
    { method: 'get', path: '/v1/domains', operationId: 'domains.list', summary: 'List domains: the shared one first, then yours', tag: 'domains', response: DomainList },
    async ({ principal }) => domains.list(principal),
  );
  routes.add(
    { method: 'get', path: '/v1/domains/:name', operationId: 'domains.get', summary: 'One domain with its DNS records', tag: 'domains', response: Domain },
    async ({ principal, params }) => domains.get(principal, params.name!),
  );
  routes.add(
    { method: 'post', path: '/v1/domains/:name/verify', operationId: 'domains.verify', errors: ['conflict'], summary: 'Check the ownership TXT record and mark the domain verified', tag: 'domains', response: Domain },
    async ({ principal, params }) => domains.verify(principal, params.name!),
  );
  routes.add(
    { method: 'delete', path: '/v1/domains/:name', operationId: 'domains.delete', errors: ['conflict'], summary: 'Remove a domain that has no agents', tag: 'domains' },
    async ({ principal, params }) => {
      await domains.delete(principal, params.name!);
    },
  );
}
