/**
 * POST /mcp: the Streamable HTTP MCP transport, stateless (a fresh server per request, no session).
 *
 * Decision: the tools do not call services in this process. Each request builds an `E2A` client
 * with the caller's key against the gateway's own HTTP API on loopback and hands it to the same
 * createE2AMcpServer that `e2a mcp` runs over stdio. So there is one implementation of the tools,
 * and what a key may do is decided by the API's own auth and scope checks, never re-implemented
 * here. The cost is one loopback request per API call the tool makes (plus GET /v1/info per MCP
 * request), which is small next to what a model does with the answer.
 *
 * GET (a server-to-client SSE stream) and DELETE (ending a session) have no meaning without
 * sessions; the transport spec lets a server answer them with 405.
 */
import { E2AError, E2A } from '@e2a/sdk';
import { createE2AMcpServer } from '@e2a/sdk/mcp';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Express, NextFunction, Request, Response } from 'express';
import { AppError } from '../http/errors.js';
import { bearerKey } from './bearer.js';

export const MCP_PATH = '/mcp';

export interface McpEndpointDeps {
  /** This gateway's API base URL on loopback; a function because the port is known only after listen. */
  apiUrl: () => string;
}

export function mountMcpEndpoint(app: Express, deps: McpEndpointDeps): void {
  app.post(MCP_PATH, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const client = new E2A({ apiKey: bearerKey(req), baseUrl: deps.apiUrl(), maxRetries: 1 });
      const { server } = await createE2AMcpServer(client).catch((err: unknown) => {
        // The key is checked by the API (GET /v1/info); its refusal is this request's 401.
        if (err instanceof E2AError && err.status === 401) throw new AppError('unauthorized', apiMessage(err), undefined, { 'WWW-Authenticate': 'Bearer realm="e2a", error="invalid_token"' });
        throw err;
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (err) {
      next(err);
    }
  });

  const notAllowed = (req: Request, _res: Response, next: NextFunction) => {
    try {
      bearerKey(req);
      next(new AppError('method_not_allowed', `${req.method} ${MCP_PATH} is not offered: this endpoint is stateless, send JSON-RPC with POST`, undefined, { Allow: 'POST' }));
    } catch (err) {
      next(err);
    }
  };
  app.get(MCP_PATH, notAllowed);
  app.delete(MCP_PATH, notAllowed);
}

/** The API's message without the inner request's id (this request has its own). */
function apiMessage(err: E2AError): string {
  return err.message.replace(/ \(request [^)]+\)$/, '');
}
