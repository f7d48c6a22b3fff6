/**
 * Tools for account keys only: agents, protection, human review, webhooks and the event log. An
 * agent key never sees them (the API would refuse them anyway): an agent must not approve its own
 * held mail or open its own gates.
 */
import { z } from 'zod';
import { ApproveReviewRequest, EVENT_TYPES, GATE_ACTIONS, MIN_AGENT_TTL_SECONDS, GATE_POLICIES, REVIEW_STATUSES, SCAN_SENSITIVITIES, type Protection } from '../wire/index.js';
import { cursor, limit as pageLimit } from './inputs.js';
import { json, text } from './results.js';
import type { Register, ToolContext } from './tools.js';

const limit = pageLimit(100, 20);
const address = z.string().max(254);

const gate = z
  .object({
    policy: z.enum(GATE_POLICIES).optional().describe('open: anyone; allowlist: only listed senders/recipients; domain: own domain and listed ones; contacts (inbound only): senders with a contact grant'),
    allowlist: z.array(z.string().max(254)).max(1000).optional().describe('Addresses or @domains; replaces the current list'),
    action: z.enum(GATE_ACTIONS).optional().describe('What happens to mail that does not pass'),
  })
  .optional();

export function registerAccountTools(register: Register, ctx: ToolContext): void {
  const { client } = ctx;

  register('list_agents', { description: "The account's agents (mailboxes).", input: { limit, cursor }, annotations: { readOnlyHint: true } }, async (params) => json(await client.agents.list(params)));

  register(
    'create_agent',
    {
      description:
        'Create an agent mailbox: local_part lands on the shared domain; address must be on a verified domain of the account. ttl_seconds makes it ephemeral: it, its mail and its keys are deleted that many seconds from now.',
      input: {
        local_part: z.string().min(1).max(64).optional(),
        address: address.optional(),
        display_name: z.string().max(200).optional(),
        ttl_seconds: z.number().int().min(MIN_AGENT_TTL_SECONDS).optional().describe(`Seconds until the agent expires (at least ${MIN_AGENT_TTL_SECONDS}); omit for a permanent agent`),
      },
    },
    async (body) => json(await client.agents.create(body)),
  );

  register(
    'get_protection',
    { description: "An agent's protection: inbound and outbound gates, content scan, hold settings, reviewers.", input: { agent: address.optional().describe('Agent address') }, annotations: { readOnlyHint: true } },
    async ({ agent }) => json(await client.agents.getProtection(ctx.agent(agent))),
  );

  register(
    'set_protection',
    {
      description: "Change an agent's protection. Only the fields given change; the rest keep their current values.",
      input: {
        agent: address.optional().describe('Agent address'),
        inbound: gate,
        outbound: gate,
        content_scan: z.object({ sensitivity: z.enum(SCAN_SENSITIVITIES).optional(), action: z.enum(GATE_ACTIONS).optional() }).optional(),
        holds: z.object({ ttl_seconds: z.number().int().min(60).max(30 * 86_400).optional(), on_expiry: z.enum(['approve', 'reject']).optional() }).optional(),
        review_notify: z.array(z.string().max(254)).max(20).optional().describe('Reviewer addresses; empty means the account owner'),
      },
      annotations: { idempotentHint: true },
    },
    async ({ agent, ...changes }) => {
      const target = ctx.agent(agent);
      // PUT replaces the whole document: merge section by section so unnamed settings survive.
      const current = await client.agents.getProtection(target);
      const next: Protection = {
        inbound: { ...current.inbound, ...changes.inbound },
        outbound: { ...current.outbound, ...changes.outbound },
        content_scan: { ...current.content_scan, ...changes.content_scan },
        holds: { ...current.holds, ...changes.holds },
        review_notify: changes.review_notify ?? current.review_notify,
      };
      return json(await client.agents.setProtection(target, next));
    },
  );

  register(
    'list_reviews',
    {
      description: 'Mail held for human review (pending by default), with why it was held.',
      input: { status: z.enum(REVIEW_STATUSES).default('pending'), agent_address: address.optional(), limit, cursor },
      annotations: { readOnlyHint: true },
    },
    async (params) => json(await client.reviews.list(params)),
  );

  register(
    'approve_review',
    {
      description: 'Approve held mail: inbound is delivered to the agent, outbound is sent (optionally edited first).',
      input: {
        review_id: z.string().max(64),
        ...ApproveReviewRequest.shape,
        to: ApproveReviewRequest.shape.to.describe('Outbound only: replace the recipients'),
      },
    },
    async ({ review_id, ...edits }) => json(await client.reviews.approve(review_id, edits)),
  );

  register(
    'reject_review',
    { description: 'Reject held mail: it is never delivered or sent.', input: { review_id: z.string().max(64), reason: z.string().max(1000).optional() } },
    async ({ review_id, reason }) => json(await client.reviews.reject(review_id, reason)),
  );

  register('list_webhooks', { description: "The account's webhook endpoints.", input: { limit, cursor }, annotations: { readOnlyHint: true } }, async (params) => json(await client.webhooks.list(params)));

  register(
    'create_webhook',
    {
      description: 'Add a webhook endpoint. The signing secret (whsec_…) is in this result only: store it now.',
      input: {
        url: z.string().max(2048).describe('HTTPS URL that receives signed events'),
        events: z.array(z.enum(EVENT_TYPES)).optional().describe('Event types; empty or absent means all'),
        agent_addresses: z.array(address).max(100).optional().describe('Only events of these agents'),
        description: z.string().max(500).optional(),
      },
    },
    async ({ agent_addresses, ...rest }) => {
      const created = await client.webhooks.create({ ...rest, ...(agent_addresses ? { filters: { agent_addresses, conversation_ids: [] } } : {}) });
      return json(created, 'Created. The secret below is shown only once.');
    },
  );

  register(
    'delete_webhook',
    { description: 'Delete a webhook endpoint for good; its pending deliveries stop.', input: { webhook_id: z.string().max(64) }, annotations: { destructiveHint: true } },
    async ({ webhook_id }) => {
      await client.webhooks.delete(webhook_id);
      return text(`Deleted webhook ${webhook_id}.`);
    },
  );

  register(
    'list_events',
    {
      description: 'The event log (message.received, message.sent, …), newest first.',
      input: { type: z.enum(EVENT_TYPES).optional(), agent_address: address.optional(), since: z.string().max(64).optional().describe('RFC 3339 time'), limit, cursor },
      annotations: { readOnlyHint: true },
    },
    async (params) => json(await client.events.list(params)),
  );

  register(
    'list_lists',
    {
      description: "The account's lists (docs/LISTS.md): addresses that fan each message out to their member agents, with who may post (post_policy) and how many members each has. Send to a list's address to post.",
      input: { limit, cursor },
      annotations: { readOnlyHint: true },
    },
    async (params) => json(await client.lists.list(params)),
  );
}
