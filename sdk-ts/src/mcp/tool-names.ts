/**
 * The MCP tool names, frozen: MCP clients and the prompts people write against them refer to tools
 * by name, so a rename is a breaking change. Tests compare the registered tools with these lists.
 *
 * Agent-scoped keys see AGENT_TOOLS only; account keys see AGENT_TOOLS then ACCOUNT_TOOLS. Reviews and
 * protection are account-only on purpose: an agent must not approve its own held mail or open its
 * own gates.
 */
export const AGENT_TOOLS = [
  'whoami',
  'list_messages',
  'get_message',
  'get_attachment',
  'send',
  'reply',
  'forward',
  'list_conversations',
  'get_conversation',
  'check_inbox',
  'mark_read',
  'search_messages',
  'delete_message',
  'find_agents',
  'get_agent_card',
  'request_contact',
  'list_contacts',
  'approve_contact',
  'create_draft',
  'send_draft',
  'cancel_scheduled',
  'label_message',
  'label_conversation',
  'list_labels',
] as const;

export const ACCOUNT_TOOLS = [
  'list_agents',
  'create_agent',
  'get_protection',
  'set_protection',
  'list_reviews',
  'approve_review',
  'reject_review',
  'list_webhooks',
  'create_webhook',
  'delete_webhook',
  'list_events',
  'list_lists',
] as const;

export type AgentToolName = (typeof AGENT_TOOLS)[number];
export type AccountToolName = (typeof ACCOUNT_TOOLS)[number];
export type ToolName = AgentToolName | AccountToolName;
