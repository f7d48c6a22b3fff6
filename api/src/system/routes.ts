import { Health, Info } from '@e2a/sdk/wire';
import { z } from 'zod';
import { AppError } from '../errors.js';
import { buildOpenApi } from '../http/openapi.js';
import type { RouteTable } from '../http/route.js';
import { MCP_OPERATIONS } from '../mcp/endpoint.js';
import { buildAsyncApi, REALTIME_OPERATIONS } from '../realtime/description.js';

export interface SystemInfo {
  version: string;
  publicUrl: string;
  sharedDomain: string;
  smtp: { host: string; port: number; maxMessageBytes: number };
}

export function systemRoutes(routes: RouteTable, deps: { info: () => SystemInfo; ready: () => Promise<string | null> }): void {
  // Health checks ignore query parameters (probes add cache-busters) and never touch tenant data.
  const live = async () => ({ status: 'ok' as const });
  const ready = async () => {
    const problem = await deps.ready();
    if (problem) throw new AppError('unavailable', `not ready: ${problem}`);
    return { status: 'ok' as const };
  };
  const health = { tag: 'system', auth: 'none', response: Health, ignoreQuery: true } as const;
  routes.add({ method: 'get', path: '/api/health', operationId: 'system.health', summary: 'Liveness: the process serves HTTP', ...health }, live);
  routes.add({ method: 'get', path: '/livez', operationId: 'system.live', summary: 'Liveness: the process serves HTTP (no database query)', ...health }, live);
  routes.add({ method: 'get', path: '/readyz', operationId: 'system.ready', summary: 'Readiness: database reachable and SMTP listening', ...health }, ready);
  routes.add({ method: 'get', path: '/healthz', operationId: 'system.healthz', summary: 'Readiness, as /readyz: database reachable and SMTP listening', ...health }, ready);
  routes.add({ method: 'get', path: '/v1/info', operationId: 'system.info', summary: 'Gateway facts, and who the key belongs to', tag: 'system', auth: 'optional', response: Info }, async ({ principal }) => {
    const info = deps.info();
    return {
      name: 'e2a' as const,
      version: info.version,
      public_url: info.publicUrl,
      shared_domain: info.sharedDomain,
      smtp: { host: info.smtp.host, port: info.smtp.port, max_message_bytes: info.smtp.maxMessageBytes },
      auth: principal
        ? { user_id: principal.userId, email: principal.email, scope: principal.scope, agent_address: principal.agentAddress }
        : null,
    };
  });
  // Generated once, on first request: every route is in the table by then.
  const Document = z.record(z.string(), z.unknown());
  let openapi: Record<string, unknown> | null = null;
  routes.add({ method: 'get', path: '/v1/openapi.json', operationId: 'system.openapi', summary: 'This document', tag: 'system', auth: 'none', response: Document }, async () => {
    const info = deps.info();
    openapi ??= buildOpenApi(routes.routes, [...MCP_OPERATIONS, ...REALTIME_OPERATIONS], { version: info.version, publicUrl: info.publicUrl });
    return openapi;
  });
  let asyncapi: Record<string, unknown> | null = null;
  routes.add(
    { method: 'get', path: '/v1/asyncapi.json', operationId: 'system.asyncapi', summary: 'The AsyncAPI 3 document of the WebSocket protocol', tag: 'system', auth: 'none', response: Document },
    async () => {
      const info = deps.info();
      asyncapi ??= buildAsyncApi({ version: info.version, publicUrl: info.publicUrl });
      return asyncapi;
    },
  );
}
