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
 * sessions; the transport spec lets a server answer them with 405, after the key is checked.
 *
 * Revocation: nothing outlives a request here (no session, no stream, JSON responses), and every
 * request, and every API call a tool makes, checks the key again. So a revoked key's next request
 * is a 401, on every replica, with no notice to wait for (docs/MCP.md).
 */
import { E2AError, E2A, RateLimitError } from '@e2a/sdk';
import { createE2AMcpServer } from '@e2a/sdk/mcp';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Express, NextFunction, Request, Response } from 'express';
import { AppError } from '../errors.js';
import type { ExternalOperation } from '../http/openapi.js';
import { bearerKey } from './bearer.js';

export const MCP_PATH = '/mcp';

const notOffered = (method: 'get' | 'delete'): ExternalOperation => ({
  method,
  path: MCP_PATH,
  kind: 'mcp',
  operationId: `mcp.${method}`,
  auth: 'required',
  errors: ['unauthorized', 'method_not_allowed', 'rate_limited', 'quota_exceeded'],
  operation: {
    summary: `Not offered (the endpoint is stateless): 405 with Allow: POST, after the key is checked`,
    tags: ['mcp'],
    responses: {},
  },
});

/** /mcp in /v1/openapi.json. The JSON-RPC methods themselves are MCP's (docs/MCP.md lists the tools). */
export const MCP_OPERATIONS: ExternalOperation[] = [
  {
    method: 'post',
    path: MCP_PATH,
    kind: 'mcp',
    operationId: 'mcp.call',
    auth: 'required',
    errors: ['bad_request', 'unauthorized', 'payload_too_large', 'rate_limited', 'quota_exceeded'],
    operation: {
      summary: 'Model Context Protocol, Streamable HTTP transport, stateless: one JSON-RPC 2.0 message or batch per request',
      description:
        'The tools call this API with the same key, so they may do what the key may do. Send `Accept: application/json, text/event-stream`; the answer is JSON. Transport-level refusals (malformed JSON-RPC, a missing Accept, a wrong Content-Type) are JSON-RPC error objects, not the Error envelope.',
      tags: ['mcp'],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { description: 'A JSON-RPC 2.0 request, notification or batch (MCP messages).', type: ['object', 'array'] } } },
      },
      responses: {
        '200': { description: 'The JSON-RPC response(s).', content: { 'application/json': { schema: { type: ['object', 'array'] } } } },
        '202': { description: 'Accepted: the request held only notifications or responses.' },
        '406': { description: 'The Accept header lacks application/json or text/event-stream (a JSON-RPC error object).', content: { 'application/json': { schema: { type: 'object' } } } },
      },
    },
  },
  notOffered('get'),
  notOffered('delete'),
];

export interface McpEndpointDeps {
  /** This gateway's API base URL on loopback; a function because the port is known only after listen. */
  apiUrl: () => string;
}

export function mountMcpEndpoint(app: Express, deps: McpEndpointDeps): void {
  // The loopback calls name the real client (the API believes X-Forwarded-For from loopback), so the
  // per-client rate limits count the caller, not 127.0.0.1 for every MCP user at once.
  const clientFor = (req: Request) => {
    const client = req.ip ?? '';
    const forwarding: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), 'x-forwarded-for': client } });
    return new E2A({ apiKey: bearerKey(req), baseUrl: deps.apiUrl(), maxRetries: 0, fetch: forwarding });
  };

  app.post(MCP_PATH, async (req: Request, res: Response, next: NextFunction) => {
    try {
      const { server } = await createE2AMcpServer(clientFor(req)).catch(refusedKey);
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

  const notAllowed = async (req: Request, _res: Response, next: NextFunction) => {
    try {
      // A revoked or unknown key learns nothing more than on POST: 401 before the 405.
      await clientFor(req).info().catch(refusedKey);
      next(new AppError('method_not_allowed', `${req.method} ${MCP_PATH} is not offered: this endpoint is stateless, send JSON-RPC with POST`, undefined, { Allow: 'POST' }));
    } catch (err) {
      next(err);
    }
  };
  app.get(MCP_PATH, notAllowed);
  app.delete(MCP_PATH, notAllowed);
}

/**
 * The key is checked by the API (GET /v1/info); its refusal is this request's 401, and a spent rate
 * limit or quota this request's 429 or 402, with the wait.
 */
function refusedKey(err: unknown): never {
  if (err instanceof E2AError && err.status === 401) throw new AppError('unauthorized', apiMessage(err), undefined, { 'WWW-Authenticate': 'Bearer realm="e2a", error="invalid_token"' });
  if (err instanceof RateLimitError) throw new AppError('rate_limited', apiMessage(err), undefined, err.retryAfter === null ? {} : { 'Retry-After': String(err.retryAfter) });
  if (err instanceof E2AError && err.code === 'quota_exceeded') throw new AppError('quota_exceeded', apiMessage(err));
  throw err;
}

/** The API's message without the inner request's id (this request has its own). */
function apiMessage(err: E2AError): string {
  return err.message.replace(/ \(request [^)]+\)$/, '');
}
