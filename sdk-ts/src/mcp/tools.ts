/**
 * Registers e2a's tools on an McpServer. Every tool calls the public API through the `E2A` client,
 * so what a key may do is decided by the API's own scope checks; the filter here only keeps tools a
 * key could never use out of the model's sight.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { E2A } from '../client/client.js';
import type { FormatOptions } from '../format-for-model.js';
import type { Info } from '../wire/index.js';
import { registerAccountTools } from './account-tools.js';
import { registerAgentTools } from './agent-tools.js';
import { registerContactTools } from './contact-tools.js';
import { registerDirectoryTools } from './directory-tools.js';
import { registerDraftTools } from './draft-tools.js';
import { registerLabelTools } from './label-tools.js';
import { toolError } from './results.js';
import type { ToolName } from './tool-names.js';

export type Identity = NonNullable<Info['auth']>;

export interface ToolContext {
  client: E2A;
  /** Who the key belongs to, from GET /v1/info. */
  identity: Identity;
  /** Options for formatForModel (the operator's allowlist). */
  format: FormatOptions;
  /** The mailbox a tool acts on: the argument, else the key's agent, else `defaultAgent`. */
  agent(given: string | undefined): string;
}

export interface ToolSpec<S extends z.ZodRawShape> {
  description: string;
  input: S;
  annotations?: ToolAnnotations;
}

export type Register = <S extends z.ZodRawShape>(name: ToolName, spec: ToolSpec<S>, run: (args: z.output<z.ZodObject<S>>) => Promise<CallToolResult>) => void;

export interface RegisterOptions {
  format?: FormatOptions;
  /**
   * The mailbox for account keys when a call names none (`e2a mcp` passes E2A_AGENT_EMAIL). Not read
   * from the client or the environment: the gateway's /mcp endpoint must not inherit its own env.
   */
  defaultAgent?: string;
}

/** Registers the tools the key's scope can use; returns their names in registration order. */
export function registerE2ATools(server: McpServer, client: E2A, identity: Identity, options: RegisterOptions = {}): ToolName[] {
  const names: ToolName[] = [];
  const register: Register = (name, spec, run) => {
    names.push(name);
    server.registerTool(name, { description: spec.description, inputSchema: spec.input, ...(spec.annotations ? { annotations: spec.annotations } : {}) }, (async (args: unknown) => {
      try {
        return await run(args as never);
      } catch (err) {
        return toolError(err);
      }
    }) as never);
  };
  const ctx: ToolContext = {
    client,
    identity,
    format: options.format ?? {},
    agent(given) {
      const address = given ?? identity.agent_address ?? options.defaultAgent;
      if (!address) throw new Error('no agent given: pass `agent` (an address from list_agents), or use a key made for one agent');
      return address;
    },
  };
  registerAgentTools(register, ctx);
  registerDirectoryTools(register, ctx);
  registerContactTools(register, ctx);
  registerDraftTools(register, ctx);
  registerLabelTools(register, ctx);
  if (identity.scope === 'account') registerAccountTools(register, ctx);
  return names;
}
