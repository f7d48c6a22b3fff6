import { ApiKeyPage, ClaimsKey, CreateApiKeyRequest, CreatedApiKey, PageQuery } from '@e2a/sdk/wire';
import type { RouteTable } from '../http/route.js';
import type { ApiKeysService } from './api-keys.js';
import type { ClaimsKeys } from './claims-keys.js';

export function accountRoutes(routes: RouteTable, keys: ApiKeysService, claimsKeys: ClaimsKeys): void {
  routes.add(
    { method: 'get', path: '/v1/account/api-keys', operationId: 'apiKeys.list', summary: 'List API keys', tag: 'account', query: PageQuery, response: ApiKeyPage },
    ({ principal, query }) => keys.list(principal, query),
  );
  routes.add(
    { method: 'post', path: '/v1/account/api-keys', operationId: 'apiKeys.create', summary: 'Create an API key (shown once)', tag: 'account', body: CreateApiKeyRequest, response: CreatedApiKey, status: 201 },
    ({ principal, body }) => keys.create(principal, body),
  );
  routes.add(
    { method: 'delete', path: '/v1/account/api-keys/:id', operationId: 'apiKeys.revoke', summary: 'Revoke an API key', tag: 'account' },
    ({ principal, params }) => keys.revoke(principal, params.id!),
  );
  routes.add(
    {
      method: 'get',
      path: '/v1/account/claims-key',
      operationId: 'claimsKey.get',
      summary: "The account's key for verifying X-E2A-Auth-* claims: current and, during a rotation, previous (account and agent keys)",
      tag: 'account',
      response: ClaimsKey,
    },
    ({ principal }) => claimsKeys.get(principal),
  );
  routes.add(
    {
      method: 'post',
      path: '/v1/account/claims-key/rotate',
      operationId: 'claimsKey.rotate',
      summary: 'A new claims key; the previous one still verifies for 24 hours (account keys only)',
      tag: 'account',
      response: ClaimsKey,
    },
    ({ principal }) => claimsKeys.rotate(principal),
  );
}
