import { Health, Info } from '@e2a/sdk/wire';
import { AppError } from '../http/errors.js';
import { buildOpenApi } from '../http/openapi.js';
import type { RouteTable } from '../http/route.js';

export interface SystemInfo {
  version: string;
  publicUrl: string;
  sharedDomain: string;
  smtp: { host: string; port: number; maxMessageBytes: number };
}

export function systemRoutes(routes: RouteTable, deps: { info: () => SystemInfo; ready: () => Promise<string | null> }): void {
  routes.add({ method: 'get', path: '/api/health', summary: 'Liveness: the process serves HTTP', tag: 'system', auth: 'none', response: Health }, async () => ({
    status: 'ok' as const,
  }));
  routes.add(
    { method: 'get', path: '/readyz', summary: 'Readiness: database reachable and SMTP listening', tag: 'system', auth: 'none', response: Health },
    async () => {
      const problem = await deps.ready();
      if (problem) throw new AppError('unavailable', `not ready: ${problem}`);
      return { status: 'ok' as const };
    },
  );
  routes.add({ method: 'get', path: '/v1/info', summary: 'Gateway facts, and who the key belongs to', tag: 'system', auth: 'optional', response: Info }, async ({ principal }) => {
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
  let doc: Record<string, unknown> | null = null;
  routes.add({ method: 'get', path: '/v1/openapi.json', summary: 'This document', tag: 'system', auth: 'none' }, async () => {
    const info = deps.info();
    doc ??= buildOpenApi(routes.routes, { version: info.version, publicUrl: info.publicUrl });
    return doc;
  });
}
