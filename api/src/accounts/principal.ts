/** Who is calling: resolved from a Bearer API key by the auth middleware. */
export interface Principal {
  userId: string;
  email: string;
  keyId: string;
  scope: 'account' | 'agent';
  /** Set for agent-scoped keys: the one agent this key may see. */
  agentId: string | null;
  agentAddress: string | null;
}
