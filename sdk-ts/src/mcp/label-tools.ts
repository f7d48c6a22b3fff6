/**
 * Labels (docs/LABELS.md) for every key: an agent files its messages and conversations under names
 * of its own, and finds them again with the `label` filter of list_messages, list_conversations and
 * check_inbox. System labels (unread, sent, trash) are derived and cannot be set here.
 */
import { z } from 'zod';
import { LabelName, MAX_LABEL_FILTERS, MAX_LABELS_PER_CHANGE } from '../wire/index.js';
import { json, text } from './results.js';
import type { Register, ToolContext } from './tools.js';

const agent = z.string().max(254).optional().describe("The agent's address; defaults to the key's own agent");
const names = z.array(LabelName).max(MAX_LABELS_PER_CHANGE);

/** The `label` argument of the listing tools: what carries every one of these labels. */
export const labelFilter = z
  .array(LabelName)
  .min(1)
  .max(MAX_LABEL_FILTERS)
  .optional()
  .describe('Only what carries every one of these labels (any case); system labels: unread, sent, trash');

const changes = {
  add: names.default([]).describe('Labels to put on; one the agent does not have yet is created (names: letters, digits and . _ - :, e.g. "invoices", "project:apollo")'),
  remove: names.default([]).describe('Labels to take off'),
};

export function registerLabelTools(register: Register, ctx: ToolContext): void {
  const { client } = ctx;

  register(
    'label_message',
    {
      description: "Add and remove a message's labels in one call, to file it for later (list_messages or check_inbox with label finds it). Answers its labels as they now are.",
      input: { agent, message_id: z.string().max(64).describe('A message id (msg_…) from list_messages or check_inbox'), ...changes },
      annotations: { idempotentHint: true },
    },
    async ({ agent: a, message_id, add, remove }) => {
      const { labels } = await client.messages.updateLabels(ctx.agent(a), message_id, { add, remove });
      return text(`Message ${message_id} now has the labels: ${labels.length > 0 ? labels.join(', ') : '(none)'}.`);
    },
  );

  register(
    'label_conversation',
    {
      description: "Add and remove a conversation's own labels in one call (list_conversations with label finds it). Its messages keep their own labels.",
      input: { agent, conversation_id: z.string().max(64).describe('A conversation id (conv_…)'), ...changes },
      annotations: { idempotentHint: true },
    },
    async ({ agent: a, conversation_id, add, remove }) => {
      const { labels } = await client.conversations.updateLabels(ctx.agent(a), conversation_id, { add, remove });
      return text(`Conversation ${conversation_id} now has the labels: ${labels.length > 0 ? labels.join(', ') : '(none)'}.`);
    },
  );

  register(
    'list_labels',
    {
      description: "The agent's labels with how many messages (and unread ones) and conversations carry each: the system labels unread, sent and trash, then its own.",
      input: { agent },
      annotations: { readOnlyHint: true },
    },
    async ({ agent: a }) => json(await client.labels.list(ctx.agent(a))),
  );
}
