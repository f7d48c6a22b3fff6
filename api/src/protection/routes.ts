import { Protection } from '@e2a/sdk/wire';
import type { RouteTable } from '../http/route.js';
import type { ProtectionService } from './service.js';

export function protectionRoutes(routes: RouteTable, protection: ProtectionService): void {
  routes.add(
    { method: 'get', path: '/v1/agents/:address/protection', operationId: 'protection.get', summary: "An agent's protection: inbound and outbound gates, content scan, hold settings", tag: 'protection', response: Protection },
    ({ principal, params }) => protection.get(principal, params.address!),
  );
  routes.add(
    {
      method: 'put',
      path: '/v1/agents/:address/protection',
      operationId: 'protection.update',
      summary: "Replace an agent's protection settings (omitted fields take their defaults; account keys only)",
      tag: 'protection',
      body: Protection,
      response: Protection,
    },
    ({ principal, params, body }) => protection.put(principal, params.address!, body),
  );
}
