import type { AgentRow } from '../agents/service.js';

/** Who is calling: resolved from a Bearer API key or a dashboard session cookie (AccountsService.principalFor). */
export interface Principal {
  userId: string;
  email: string;
  /**
   * The API key's id; for a dashboard session the session's id, so the per-key rate limits and the
   * revocation watch of WebSocket listeners apply to a session as to a key.
   */
  keyId: string;
  /** Set when the request came with the dashboard session cookie (scope is then 'account'). */
  sessionId?: string | undefined;
  scope: 'account' | 'agent';
  /** Set for agent-scoped keys: the one agent this key may see. */
  agentId: string | null;
  agentAddress: string | null;
  /**
   * The agent the request path names (`/v1/agents/:address/…`), read by the statement that checked
   * the key, so AgentsService.resolve needs no query of its own. No access rule has been applied:
   * resolve applies the same rules to this row as to one it queries.
   *
   * Carried here rather than on the route context because every agent lookup already takes the
   * principal (routes, ProtectionService, AgentsService.delete), and the HTTP edge builds a principal
   * per request. Absent when the path names no agent and on principals that outlive a request
   * (WebSocket listeners), which resolve with a query.
   */
  pathAgent?: PathAgent | undefined;
}

export interface PathAgent {
  /** The address as looked up: normalised as AgentsService.resolve normalises it. */
  address: string;
  /** null when no agent has that address. */
  row: AgentRow | null;
}
