/**
 * What tools hand back to the model: JSON as text, and API errors as MCP tool errors (`isError`), so
 * the model reads the API's own message and can correct its call instead of the session failing.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { E2AError } from '../client/errors.js';

export function text(...blocks: string[]): CallToolResult {
  return { content: blocks.map((t) => ({ type: 'text' as const, text: t })) };
}

export function json(data: unknown, lead?: string): CallToolResult {
  const body = JSON.stringify(data, null, 2);
  return text(...(lead ? [lead, body] : [body]));
}

/** A hint per code, for the errors a model can act on. */
const HINTS: Partial<Record<E2AError['code'], string>> = {
  forbidden: 'This key may not do that: agent keys reach only their own agent; reviews, protection and webhooks need an account key.',
  not_found: 'Check the id or address: list_messages and list_conversations show what exists, and an agent key reaches only its own agent.',
  validation_error: 'Fix the arguments named above and call again.',
  rate_limited: 'Wait before calling again.',
  network_error: 'The e2a API could not be reached; check that the gateway is running.',
};

export function toolError(err: unknown): CallToolResult {
  if (err instanceof E2AError) {
    const details = err.details?.map((d) => `  ${d.path || '(body)'}: ${d.message}`) ?? [];
    const hint = HINTS[err.code];
    return { isError: true, content: [{ type: 'text', text: [`e2a ${err.code}: ${err.message}`, ...details, ...(hint ? [hint] : [])].join('\n') }] };
  }
  return { isError: true, content: [{ type: 'text', text: `e2a: ${(err as Error)?.message ?? String(err)}` }] };
}
